import { SamlError } from './errors.js';
import { MAX_DEPTH, MAX_ELEMENTS } from './xml-dom.js';

/** Far above an AD FS token (a few KB, tens with many group SIDs); the HTTP body limit is lower still. */
export const MAX_TOKEN_BYTES = 256 * 1024;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const XML_DECLARATION = /^<\?xml\s[^<>]*\?>/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The token as XML text: accepts the XML itself or its base64 (as POST /v1/decisions carries it),
 * strict UTF-8, a BOM and an XML declaration dropped. Markup that devicegate never accepts (DOCTYPE,
 * entity declarations, processing instructions, comments, CDATA) is refused here, before any parser
 * sees it, and again on the parsed tree.
 */
export function decodeSamlToken(input: string | Buffer): string {
  let text: string;
  if (typeof input !== 'string') text = decodeUtf8(input);
  else {
    const trimmed = input.trim();
    if (trimmed.startsWith('<') || trimmed.startsWith('\ufeff<')) text = trimmed;
    else {
      const compact = trimmed.replace(/\s+/g, '');
      if (compact === '' || compact.length % 4 !== 0 || !BASE64.test(compact)) {
        throw new SamlError('DG_ERR_SAML_MALFORMED', 'samlToken must be a base64-encoded SAML 2.0 assertion or response');
      }
      if ((compact.length / 4) * 3 > MAX_TOKEN_BYTES + 3) throw tooLarge();
      text = decodeUtf8(Buffer.from(compact, 'base64'));
    }
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_TOKEN_BYTES) throw tooLarge();
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.trim().replace(XML_DECLARATION, '').trimStart();
  if (!text.startsWith('<')) throw new SamlError('DG_ERR_SAML_MALFORMED', 'samlToken does not hold XML');
  const markup = /<[!?]/.exec(text);
  if (markup !== null) {
    const at = text.slice(markup.index, markup.index + 9).toUpperCase();
    const kind = at.startsWith('<!DOCTYPE')
      ? 'a DOCTYPE'
      : at.startsWith('<!ENTITY')
        ? 'an entity declaration'
        : at.startsWith('<!--')
          ? 'an XML comment'
          : at.startsWith('<![CDATA[')
            ? 'a CDATA section'
            : at.startsWith('<?')
              ? 'a processing instruction'
              : 'a markup declaration';
    throw new SamlError('DG_ERR_SAML_UNSUPPORTED', `samlToken contains ${kind}; devicegate accepts only elements, attributes and text`);
  }
  checkShape(text);
  return text;
}

/**
 * Depth and element count from the raw text, so a hostile shape costs a linear scan, not a parse (the
 * parsed tree is checked again). Only tags are left at this point: no comments, PIs or CDATA.
 */
function checkShape(text: string): void {
  let depth = 0;
  let elements = 0;
  for (let i = text.indexOf('<'); i !== -1; i = text.indexOf('<', i + 1)) {
    if (text.charCodeAt(i + 1) === 0x2f) {
      depth--;
      continue;
    }
    const end = text.indexOf('>', i);
    if (end === -1) return; // not well-formed: the parser says so
    if (text.charCodeAt(end - 1) !== 0x2f) depth++;
    if (depth > MAX_DEPTH) throw new SamlError('DG_ERR_SAML_UNSUPPORTED', `samlToken nests elements deeper than ${MAX_DEPTH} levels`);
    if (++elements > MAX_ELEMENTS) throw new SamlError('DG_ERR_SAML_UNSUPPORTED', `samlToken has more than ${MAX_ELEMENTS} elements`);
  }
}

function decodeUtf8(bytes: Buffer): string {
  if (bytes.length > MAX_TOKEN_BYTES) throw tooLarge();
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SamlError('DG_ERR_SAML_MALFORMED', 'samlToken is not UTF-8 text');
  }
}

function tooLarge(): SamlError {
  return new SamlError('DG_ERR_SAML_MALFORMED', `samlToken is larger than ${MAX_TOKEN_BYTES / 1024} KiB`);
}
