import { Type } from 'typebox';
import { Claim, DeviceSource, DeviceStatus } from './common-schemas.js';

const OptString = Type.Optional(Type.String());
const OptStrings = Type.Optional(Type.Array(Type.String()));
const OptBool = Type.Optional(Type.Boolean());

/** DeviceRecord with dates as ISO 8601 strings. */
export const DeviceRecordSchema = Type.Object({
  dn: Type.String(),
  cn: OptString,
  deviceId: OptString,
  displayName: OptString,
  altSecurityIdentities: Type.Array(Type.String()),
  isEnabled: OptBool,
  osType: OptString,
  osVersion: OptString,
  physicalIds: OptStrings,
  objectVersion: Type.Optional(Type.Number()),
  registeredOwner: OptString,
  registeredUsers: OptStrings,
  approximateLastLogon: OptString,
  isManaged: OptBool,
  cloudIsManaged: OptBool,
  isCompliant: OptBool,
  trustType: Type.Optional(Type.Number()),
  mdmStatus: OptString,
  cloudAnchor: OptString,
  computerSid: OptString,
  keyCredentialLinks: OptStrings,
  objectGuid: OptString,
  whenCreated: OptString,
  whenChanged: OptString,
});

export const DeviceResponse = Type.Object({
  thumbprint: Type.String(),
  status: DeviceStatus,
  source: DeviceSource,
  record: Type.Optional(DeviceRecordSchema),
  claims: Type.Array(Claim),
  detail: OptString,
});

export const RelyingPartiesResponse = Type.Object({
  policyRevision: Type.String(),
  relyingParties: Type.Array(
    Type.Object({
      id: Type.String(),
      slug: Type.String(),
      name: Type.String(),
      identifiers: Type.Array(Type.String()),
      enabled: Type.Boolean(),
      mode: Type.String(),
      accessControlPolicy: Type.Optional(
        Type.Object({ name: Type.String(), parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
      ),
    }),
  ),
});
