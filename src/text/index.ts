export { decodeText, decodeTextRaw, detectEncoding, normalizeTextBytes, readTextFile, type TextEncodingName } from './decode-text.js';
