// The one XML stack for SAML intake: @xmldom/xmldom, the parser xml-crypto itself uses, so what we
// check and what the signature covers are read by the same code. It is loaded through createRequire
// because its type declarations pull the DOM lib into the whole program; the few node shapes used here
// are declared below instead.
import { createRequire } from 'node:module';
import { SamlError } from './errors.js';

export interface XmlAttr {
  readonly name: string;
  readonly localName: string;
  readonly prefix: string | null;
  readonly namespaceURI: string | null | undefined;
  readonly value: string;
}

export interface XmlNode {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly nodeValue: string | null;
  readonly parentNode: XmlNode | null;
  readonly childNodes: { readonly length: number; readonly [index: number]: XmlNode };
}

export interface XmlElement extends XmlNode {
  readonly localName: string;
  readonly prefix: string | null;
  readonly namespaceURI: string | null | undefined;
  readonly attributes: { readonly length: number; readonly [index: number]: XmlAttr };
  getAttribute(name: string): string;
  hasAttribute(name: string): boolean;
  getAttributeNS(ns: string, localName: string): string;
  lookupNamespaceURI(prefix: string | null): string | null;
}

export interface XmlDocument extends XmlNode {
  readonly documentElement: XmlElement | null;
}

interface ErrorHandler {
  warning(message: string): void;
  error(message: string): void;
  fatalError(message: string): void;
}
interface DomParserCtor {
  new (options: { errorHandler: ErrorHandler }): { parseFromString(source: string, mimeType: string): XmlDocument };
}

const require = createRequire(import.meta.url);
const { DOMParser } = require('@xmldom/xmldom') as { DOMParser: DomParserCtor };

export const ELEMENT_NODE = 1;
const ATTRIBUTE_NODE = 2;
const TEXT_NODE = 3;

/** AD FS assertions nest about 6 deep; big group lists give a few hundred elements. */
export const MAX_DEPTH = 32;
export const MAX_ELEMENTS = 5000;

const UNSAFE_NODES: Readonly<Record<number, string>> = {
  4: 'a CDATA section',
  5: 'an entity reference',
  6: 'an entity declaration',
  7: 'a processing instruction',
  8: 'an XML comment',
  10: 'a DOCTYPE',
  12: 'a notation',
};

/**
 * Parses well-formed XML or throws DG_ERR_SAML_MALFORMED; xmldom's warnings count as errors (it
 * recovers from unclosed tags and similar, and a recovered tree is not what the signer saw).
 * `what` names the input in the message ("samlToken", "the signed assertion").
 */
export function parseXml(text: string, what: string): XmlDocument {
  let problem = false;
  const fail = (): void => {
    problem = true;
  };
  let doc: XmlDocument;
  try {
    doc = new DOMParser({ errorHandler: { warning: fail, error: fail, fatalError: fail } }).parseFromString(text, 'text/xml');
  } catch {
    problem = true;
    doc = undefined as never;
  }
  if (problem || doc === undefined || doc.documentElement === null) throw new SamlError('DG_ERR_SAML_MALFORMED', `${what} is not well-formed XML`);
  checkTree(doc, what);
  return doc;
}

/**
 * Only elements, attributes and text: no comments, PIs, CDATA, DOCTYPE or entity nodes anywhere (they
 * canonicalize away or flatten, so a value read around them would differ from the signed one), no
 * prefix without a namespace, and nothing but whitespace beside the document element.
 */
function checkTree(doc: XmlDocument, what: string): void {
  for (let i = 0; i < doc.childNodes.length; i++) {
    const n = doc.childNodes[i]!;
    if (n.nodeType === ELEMENT_NODE) continue;
    if (n.nodeType === TEXT_NODE && /^\s*$/.test(n.nodeValue ?? '')) continue;
    unsafe(n, what);
  }
  // Limits before any signature work: xml-crypto's cost grows with the element count and its
  // canonicalization recurses with the depth.
  const stack: XmlNode[] = [doc.documentElement!];
  const depths: number[] = [1];
  let elements = 0;
  while (stack.length > 0) {
    const n = stack.pop()!;
    const depth = depths.pop()!;
    if (n.nodeType === ELEMENT_NODE) {
      const el = n as XmlElement;
      if (depth > MAX_DEPTH) throw new SamlError('DG_ERR_SAML_UNSUPPORTED', `${what} nests elements deeper than ${MAX_DEPTH} levels`);
      if (++elements > MAX_ELEMENTS) throw new SamlError('DG_ERR_SAML_UNSUPPORTED', `${what} has more than ${MAX_ELEMENTS} elements`);
      if (el.prefix && !el.namespaceURI) throw new SamlError('DG_ERR_SAML_MALFORMED', `${what} uses an undeclared namespace prefix`);
      for (let i = 0; i < el.attributes.length; i++) {
        const a = el.attributes[i]!;
        if (a.prefix && a.prefix !== 'xmlns' && !a.namespaceURI) throw new SamlError('DG_ERR_SAML_MALFORMED', `${what} uses an undeclared namespace prefix`);
      }
      for (let i = 0; i < el.childNodes.length; i++) {
        stack.push(el.childNodes[i]!);
        depths.push(depth + 1);
      }
    } else if (n.nodeType !== TEXT_NODE && n.nodeType !== ATTRIBUTE_NODE) {
      unsafe(n, what);
    }
  }
}

function unsafe(n: XmlNode, what: string): never {
  const kind = UNSAFE_NODES[n.nodeType];
  if (kind !== undefined) throw new SamlError('DG_ERR_SAML_UNSUPPORTED', `${what} contains ${kind}; devicegate accepts only elements, attributes and text`);
  throw new SamlError('DG_ERR_SAML_MALFORMED', `${what} has content outside its document element`);
}

export function childElements(parent: XmlNode, ns: string, localName: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (let i = 0; i < parent.childNodes.length; i++) {
    const n = parent.childNodes[i]!;
    if (n.nodeType === ELEMENT_NODE && (n as XmlElement).localName === localName && (n as XmlElement).namespaceURI === ns) out.push(n as XmlElement);
  }
  return out;
}

export function descendants(root: XmlNode, ns: string, localName: string): XmlElement[] {
  const out: XmlElement[] = [];
  const stack: XmlNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.nodeType === ELEMENT_NODE) {
      const el = n as XmlElement;
      if (el.localName === localName && el.namespaceURI === ns) out.push(el);
      for (let i = 0; i < el.childNodes.length; i++) stack.push(el.childNodes[i]!);
    }
  }
  return out;
}

/** Text content of an element that must hold text only. */
export function textOf(el: XmlElement): { text: string; elements: boolean } {
  let text = '';
  let elements = false;
  for (let i = 0; i < el.childNodes.length; i++) {
    const n = el.childNodes[i]!;
    if (n.nodeType === TEXT_NODE) text += n.nodeValue ?? '';
    else if (n.nodeType === ELEMENT_NODE) elements = true;
  }
  return { text, elements };
}

/** An attribute without namespace, or undefined when absent (xmldom answers '' for both). */
export function attr(el: XmlElement, name: string): string | undefined {
  return el.hasAttribute(name) ? el.getAttribute(name) : undefined;
}
