export { startSlapd, slapdSearchCount, waitForRootDse, SLAPD_SUFFIX, SLAPD_ROOT_DN, SLAPD_ROOT_PASSWORD, type SlapdServer, type SlapdOptions } from './start-slapd.js';
export { startSambaDc, SAMBA_ADMIN_PASSWORD, type SambaServer } from './start-samba-dc.js';
export { freePort, freeLoopbackAddress, findBinary, startDaemon, run, sleep, type Daemon } from './processes.js';
export { writeLdif, type LdifRecord } from './write-ldif.js';
export { adaptForSlapd, adaptForSamba, readFixture } from './adapt-fixture.js';
export { startSilentServer, type SilentServer } from './silent-server.js';
