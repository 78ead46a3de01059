// Expectations for test/directory/dev-contoso.ldif (the development LDIF; see its header).
import type { FixtureSpec } from './directory-cases.js';

const dom = 'S-1-5-21-2378277246-2682074319-435474115';

export const devFixture: FixtureSpec = {
  ldifPath: new URL('./dev-contoso.ldif', import.meta.url).pathname,
  devices: [
    {
      deviceId: '00166477-081e-4bc4-b2f2-468326ef9428',
      keys: ['X509:<SHA1-TP-PUBKEY>DB6EFEC376B876C5D1A3EE72CF591DF74B323A5EI2o7uyShbCc+1kJow6OX6c5fWtR4fRBXCDkolT4SET0='],
      expect: {
        displayName: 'WEClient.contoso.com', isEnabled: true, osType: 'Windows', osVersion: '6.2.9200.0', objectVersion: 2,
        trustType: 2, registeredOwner: `${dom}-1105`, registeredUsers: [`${dom}-1105`], isManaged: false, cloudIsManaged: false,
        isCompliant: false, approximateLastLogon: new Date('2014-03-06T04:56:25Z'),
      },
      absent: ['physicalIds', 'mdmStatus', 'computerSid'],
    },
    {
      deviceId: '6f2c1a9e-3b7d-4c58-9e21-0a4b5c6d7e8f',
      keys: [
        'X509:<SHA1-TP-PUBKEY>D3CFEC0914BDDE7B657C50404C209810991C20D8Arb1IScRod2jQW3yGLRebXoA89IOa6iQsyyT0pXs8uw=',
        'X509:<SHA1-TP-PUBKEY>F08127B81EFA38EF062F932CEBCAC277FBD5266CHjoazvhRWqN96BaCVkCZb1j8P6EAINKCY5SBzxqytuE=',
      ],
      expect: {
        displayName: 'LAPTOP-ALICE', isEnabled: true, trustType: 1, registeredOwner: `${dom}-1106`,
        registeredUsers: [`${dom}-1106`, `${dom}-1105`], isManaged: true, isCompliant: true,
        physicalIds: ['[USER-GID]:abc', '[GID]:def'],
      },
      absent: ['cloudIsManaged', 'approximateLastLogon', 'objectVersion'],
    },
    {
      deviceId: 'a1b2c3d4-e5f6-4789-8abc-def012345678',
      keys: ['X509:<SHA1-TP-PUBKEY>07596F183F5E91B1778D5E47B2752B8D42AA763DslViut3plLR+DfR8evg+6KJ+wUE4A9F+kKD1pskxQMU='],
      expect: { displayName: 'OLD-TABLET', isEnabled: false, osType: 'Android' },
      absent: ['isManaged', 'isCompliant', 'trustType', 'registeredOwner'],
    },
  ],
  rejoinedDeviceId: '6f2c1a9e-3b7d-4c58-9e21-0a4b5c6d7e8f',
  user: { sAMAccountName: 'dan', sid: `${dom}-1105`, upn: 'dan@contoso.com' },
  issuerCertificateCount: 1,
  serviceAccount: { dn: 'CN=svc-devicelookup,CN=Users,DC=contoso,DC=com', password: 'Passw0rd-for-tests!' },
};
