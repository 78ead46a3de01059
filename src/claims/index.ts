// The Claim model is owned by src/language (the rule language defines what a claim is);
// claims/ re-exports it so device-facing code has one place to import from.
export { makeClaim, type Claim } from '../language/index.js';
export { DEVICE_CLAIM_TYPES, REQUEST_CLAIM_TYPES, AUTHORIZATION_CLAIM_TYPES, MULTIPLE_AUTHN, LOCAL_AUTHORITY } from './claim-types.js';
export { deviceClaims, isRegisteredUser, trustTypeValue, type DeviceClaimOptions } from './device-claims.js';
export { deviceStatus, type DeviceStatus, type DeviceStatusInput, type DeviceStatusResult } from './device-status.js';
