export { parseSamlToken, DEFAULT_CLOCK_SKEW_SEC, type ParseSamlTokenOptions, type SamlToken } from './parse-saml-token.js';
export { loadTrustedSigners, type TrustedSigner } from './trusted-signers.js';
export { ReplayCache, type ReplayCacheOptions } from './replay-cache.js';
export { decodeSamlToken, MAX_TOKEN_BYTES } from './decode-token.js';
export { SAML_CLAIM_TYPES, SAML_CLAIM_PROPERTIES } from './read-assertion.js';
export { SamlError, SAML_ERROR_CODES, isSamlError, type SamlErrorCode } from './errors.js';
