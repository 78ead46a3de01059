export {
  parseDeviceCertificate,
  certificateDer,
  ALT_SECURITY_IDENTITY_PREFIX,
  DEVICE_ID_EXTENSION_OID,
  type DeviceCertificate,
} from './device-certificate.js';
export { normalizeThumbprint } from './thumbprint.js';
export { normalizeDeviceId, guidToBytes, bytesToGuid } from './device-id.js';
export { buildIssuerTrust, ISSUER_NAME_FALLBACK_CN, type IssuerTrust } from './issuer-trust.js';
export { checkDeviceCertificate, type CertificateCheck, type CheckOptions } from './check-device-certificate.js';
export { CertificateError, CERTIFICATE_ERROR_CODES, isCertificateError, type CertificateErrorCode } from './errors.js';
export { hasRocaFingerprint } from './roca-fingerprint.js';
export { CertificateParseCache, type CertificateParseCacheOptions } from './certificate-parse-cache.js';
