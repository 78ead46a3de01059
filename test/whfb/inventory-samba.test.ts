// The WHfB world in a real Samba AD DC (which has the DN-Binary syntax msDS-KeyCredentialLink uses).
// Samba makes its own user SIDs, so after start the devices' msDS-RegisteredOwner/Users are set to the
// SIDs Samba gave the world's users (as Entra Connect would write them), and the users' keys are added
// once the users exist (a DN-Binary link names its own holder).
import { Attribute, Change, Client } from 'ldapts';
import t from 'tap';
import { parseLdif, rawText, openScanner, sidTextToBinary, decodeSid, type DirectoryScanner } from '../../src/directory/index.js';
import { SAMBA_ADMIN_PASSWORD, startSambaDc, type SambaServer } from '../harness/index.js';
import { inventoryCases } from './inventory-cases.js';
import { WORLD_LDIF, world } from './world.js';
import { readFileSync } from 'node:fs';

let server: SambaServer | undefined;
let scanner: DirectoryScanner | undefined;
const sambaSids = new Map<string, string>();

t.before(async () => {
  server = await startSambaDc(WORLD_LDIF, world.serviceAccount);
  const admin = new Client({ url: server.url, timeout: 10_000 });
  await admin.bind(`CN=Administrator,CN=Users,${world.domain.dn}`, SAMBA_ADMIN_PASSWORD);
  try {
    for (const u of world.users) {
      const { searchEntries } = await admin.search(u.dn, { scope: 'base', attributes: ['objectSid'], explicitBufferAttributes: ['objectSid'] });
      sambaSids.set(u.sid, decodeSid(searchEntries[0]!.objectSid as Buffer)!);
    }
    const ldif = parseLdif(readFileSync(WORLD_LDIF, 'utf8'), WORLD_LDIF);
    for (const entry of ldif) {
      const keys = entry.attributes.get('msds-keycredentiallink');
      if (keys && keys.length > 0) {
        await admin
          .modify(entry.dn, [new Change({ operation: 'replace', modification: new Attribute({ type: 'msDS-KeyCredentialLink', values: keys.map(rawText) }) })])
          .catch((error: Error) => {
            throw new Error(`adding keys to ${entry.dn}: ${error.message}`);
          });
      }
    }
    for (const d of world.devices) {
      const changes: Change[] = [];
      if (d.owner) changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'msDS-RegisteredOwner', values: [sidTextToBinary(sambaSids.get(d.owner)!)] }) }));
      if (d.registeredUsers.length > 0) {
        changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'msDS-RegisteredUsers', values: d.registeredUsers.map((s) => sidTextToBinary(sambaSids.get(s)!)) }) }));
      }
      if (changes.length > 0) {
        await admin.modify(d.dn, changes).catch((error: Error) => {
          throw new Error(`setting owners of ${d.dn}: ${error.message}`);
        });
      }
    }
  } finally {
    await admin.unbind();
  }
  scanner = await openScanner({ url: server.url, bindDn: server.bindDn, password: server.password, timeoutMs: 10_000 });
});
t.teardown(async () => {
  await scanner?.close();
  await server?.stop();
});

inventoryCases(t, () => scanner!, { pageSize: 3, sidOf: (fixtureSid) => sambaSids.get(fixtureSid) ?? fixtureSid });

t.test('Samba returns msDS-KeyCredentialLink as DN-Binary text naming the holder', async (t) => {
  const erin = world.users.find((u) => u.name === 'erin')!;
  const user = await scanner!.findUser({ upn: erin.upn });
  t.equal(user?.keyCredentialLinks.length, 1);
  t.match(user?.keyCredentialLinks[0], /^B:\d+:[0-9A-F]+:CN=erin,CN=Users,DC=contoso,DC=com$/i);
});
