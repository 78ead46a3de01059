// The GUID codec (.NET Guid.ToByteArray order) lives in certificate/; directory re-exports it so its
// own callers and index keep one import path. Invalid input throws (certificate's CertificateError).
export { bytesToGuid, guidToBytes } from '../certificate/index.js';
