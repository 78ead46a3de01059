// AD FS's own serialized access control policy (`PolicyMetadata`, the text of
// `(Get-AdfsAccessControlPolicy -Name X).PolicyMetadata.Serialized` and of a trust's
// `ResultantPolicy.Serialized`), read into devicegate's policy model. Every element and condition
// devicegate cannot evaluate is an error at its line:col: skipping a condition could widen a permit.
//
// Evidence for the shape (reference/adfs-claim-rules.md §3.4 and real exports in AzureAD/MSIdentityTools
// src/internal/AdfsSamples/*.json): AlwaysCondition, LocationCondition (Equals intranet / extranet / IP
// ranges), SpecificClaimCondition (ClaimType, Equals, Values), MultiFactorAuthenticationCondition
// (IsPresent). The element names of group and device-trust conditions, of exceptions and of parameter
// placeholders are not in any public sample found; GROUP_TYPES, DEVICE_TYPES, <Exceptions> and
// `{ParameterName}` values are our reconstruction (README "Custom access control policies").
import { createRequire } from 'node:module';
import type { AcpCondition } from './access-control-policies.js';

export const POLICY_METADATA_NS = 'http://schemas.datacontract.org/2012/04/ADFS';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** A value of a condition: literal, or `{Name}`, a parameter given when the policy is assigned. */
export type ValueRef = { readonly literal: string } | { readonly parameter: string };

export type ConditionTemplate =
  | { readonly kind: 'always' }
  | { readonly kind: 'network'; readonly locations: readonly ('intranet' | 'extranet')[] }
  | { readonly kind: 'groups'; readonly values: readonly ValueRef[] }
  | { readonly kind: 'deviceTrust'; readonly levels: readonly ('authenticated' | 'managed' | 'compliant')[] }
  | { readonly kind: 'claim'; readonly type: string; readonly values: readonly ValueRef[] };

export interface RuleTemplate {
  readonly conditions: readonly ConditionTemplate[];
  readonly exceptions: readonly ConditionTemplate[];
  readonly requireMfa: boolean;
}

export interface PolicyTemplate {
  readonly rules: readonly RuleTemplate[];
  /** Parameter names the policy uses (`{GroupParameter}` ...), sorted. */
  readonly parameters: readonly string[];
}

export interface PolicyProblem {
  readonly line: number;
  readonly column: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

const GROUP_TYPES = new Set(['GroupMembershipCondition', 'GroupCondition']);
const DEVICE_TYPES = new Set(['DeviceTrustCondition', 'DeviceTrustLevelCondition', 'DeviceCondition']);
const DEVICE_LEVELS = new Set(['authenticated', 'managed', 'compliant']);
const PARAMETER_RE = /^\{([A-Za-z][A-Za-z0-9_]*)\}$/;
/** A SID as group claims carry it (S-1-5-21-...). */
export const SID_RE = /^S-1-\d+(-\d+)+$/i;
const IP_RE = /^[0-9a-f:.]+(\/\d+|-[0-9a-f:.]+)?$/i;
const MAX_BYTES = 256 * 1024;

interface Node {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly nodeValue: string | null;
  readonly childNodes: { readonly length: number; readonly [index: number]: Node };
  readonly lineNumber?: number;
  readonly columnNumber?: number;
}
interface Element extends Node {
  readonly localName: string;
  readonly namespaceURI: string | null;
  getAttributeNS(ns: string, localName: string): string;
  hasAttributeNS(ns: string, localName: string): boolean;
  lookupNamespaceURI(prefix: string | null): string | null;
}
interface DomParserCtor {
  new (options: { locator: object; errorHandler: Record<'warning' | 'error' | 'fatalError', (message: string) => void> }): {
    parseFromString(source: string, mimeType: string): { documentElement: Element | null; childNodes: Node['childNodes'] };
  };
}
const require = createRequire(import.meta.url);
const { DOMParser } = require('@xmldom/xmldom') as { DOMParser: DomParserCtor };

const ELEMENT = 1;
const TEXT = 3;

function elements(node: Node): Element[] {
  const out: Element[] = [];
  for (let i = 0; i < node.childNodes.length; i++) {
    const child = node.childNodes[i]!;
    if (child.nodeType === ELEMENT) out.push(child as Element);
  }
  return out;
}

function textOf(node: Node): string {
  let s = '';
  for (let i = 0; i < node.childNodes.length; i++) {
    const child = node.childNodes[i]!;
    if (child.nodeType === TEXT || child.nodeType === 4) s += child.nodeValue ?? '';
  }
  return s.trim();
}

/** Parses PolicyMetadata XML; `policy` is set iff there is no error. */
export function parsePolicyMetadata(xml: string): { policy?: PolicyTemplate; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  const at = (node: Node | undefined, message: string, severity: 'error' | 'warning' = 'error'): void => {
    problems.push({ line: node?.lineNumber ?? 1, column: node?.columnNumber ?? 1, severity, message });
  };
  if (Buffer.byteLength(xml) > MAX_BYTES) {
    at(undefined, `policy metadata is larger than ${MAX_BYTES / 1024} KiB`);
    return { problems };
  }
  if (/<!DOCTYPE/i.test(xml)) {
    at(undefined, 'a DOCTYPE is not allowed in policy metadata');
    return { problems };
  }
  const parseErrors: string[] = [];
  const record = (message: string): void => {
    parseErrors.push(message.replace(/\s+/g, ' ').trim());
  };
  const doc = new DOMParser({ locator: {}, errorHandler: { warning: () => undefined, error: record, fatalError: record } }).parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  if (parseErrors.length > 0 || root === null) {
    const first = parseErrors[0] ?? 'no root element';
    const pos = /line:\s*(\d+).*?col:\s*(\d+)/.exec(first);
    problems.push({ line: pos ? Number(pos[1]) : 1, column: pos ? Number(pos[2]) : 1, severity: 'error', message: `not well-formed XML (${first.replace(/\s*@#\[.*$/, '')})` });
    return { problems };
  }
  if (root.localName !== 'PolicyMetadata' || root.namespaceURI !== POLICY_METADATA_NS) {
    at(root, `the root element must be <PolicyMetadata xmlns="${POLICY_METADATA_NS}">, found <${root.nodeName}>`);
    return { problems };
  }
  const parameters = new Set<string>();
  const values = (el: Element, allowParameters: boolean): ValueRef[] | undefined => {
    const list = elements(el).filter((c) => c.localName === 'Values');
    const out: ValueRef[] = [];
    for (const v of list.length === 1 ? elements(list[0]!) : []) {
      if (v.localName !== 'Value') {
        at(v, `<${v.localName}> in <Values> (expected <Value>)`);
        continue;
      }
      const text = textOf(v);
      const param = PARAMETER_RE.exec(text);
      if (param) {
        if (!allowParameters) at(v, `a parameter ${text} cannot stand here`);
        parameters.add(param[1]!);
        out.push({ parameter: param[1]! });
      } else if (text === '') at(v, 'an empty <Value>');
      else out.push({ literal: text });
    }
    if (list.length > 1) at(list[1], 'a second <Values>');
    return out;
  };

  const condition = (el: Element, inExceptions: boolean): ConditionTemplate | 'mfa' | undefined => {
    if (el.localName !== 'Condition') {
      at(el, `<${el.localName}> where a <Condition> was expected`);
      return undefined;
    }
    const type = el.getAttributeNS(XSI_NS, 'type').replace(/^.*:/, '');
    if (type === '') {
      at(el, '<Condition> without i:type');
      return undefined;
    }
    const children = elements(el);
    const operatorEl = children.find((c) => c.localName === 'Operator');
    const operator = operatorEl !== undefined ? textOf(operatorEl) : undefined;
    const allowed = new Set(['Operator', 'Values', ...(type === 'SpecificClaimCondition' ? ['ClaimType'] : [])]);
    for (const c of children) if (!allowed.has(c.localName)) at(c, `<${c.localName}> is not part of a ${type} devicegate can evaluate`);
    const expectOperator = (...ok: string[]): boolean => {
      if (operator !== undefined && !ok.includes(operator)) {
        at(operatorEl, `operator "${operator}" of ${type} is not supported (devicegate evaluates ${ok.join(', ')})`);
        return false;
      }
      return true;
    };
    switch (type) {
      case 'AlwaysCondition':
        return expectOperator('IsPresent') ? { kind: 'always' } : undefined;
      case 'MultiFactorAuthenticationCondition':
        if (inExceptions) {
          at(el, 'MFA as an exception is not something devicegate can evaluate');
          return undefined;
        }
        return expectOperator('IsPresent') ? 'mfa' : undefined;
      case 'LocationCondition': {
        if (!expectOperator('Equals')) return undefined;
        const list = values(el, false) ?? [];
        const locations: ('intranet' | 'extranet')[] = [];
        for (const v of list) {
          const text = 'literal' in v ? v.literal.toLowerCase() : '';
          if (text === 'intranet' || text === 'extranet') locations.push(text);
          else if (IP_RE.test(text)) {
            at(el, `location "${'literal' in v ? v.literal : ''}" is an IP range; devicegate does not see the client address (only insidecorporatenetwork: intranet / extranet)`);
            return undefined;
          } else {
            at(el, `location "${'literal' in v ? v.literal : ''}" is not intranet or extranet`);
            return undefined;
          }
        }
        if (locations.length === 0) {
          at(el, 'LocationCondition without a location');
          return undefined;
        }
        return { kind: 'network', locations };
      }
      case 'SpecificClaimCondition': {
        if (!expectOperator('Equals')) return undefined;
        const typeEl = children.find((c) => c.localName === 'ClaimType');
        const claimType = typeEl !== undefined ? textOf(typeEl) : '';
        if (claimType === '') {
          at(el, 'SpecificClaimCondition without a <ClaimType>');
          return undefined;
        }
        const list = values(el, true) ?? [];
        if (list.length === 0) {
          at(el, 'SpecificClaimCondition without a <Value>');
          return undefined;
        }
        return { kind: 'claim', type: claimType, values: list };
      }
      default:
        if (GROUP_TYPES.has(type)) {
          if (!expectOperator('Equals')) return undefined;
          const list = values(el, true) ?? [];
          if (list.length === 0) {
            at(el, `${type} without a group`);
            return undefined;
          }
          const notSid = list.find((v) => 'literal' in v && !SID_RE.test(v.literal));
          if (notSid !== undefined && 'literal' in notSid) {
            at(el, `group "${notSid.literal}" is not a SID (devicegate compares the groupsid claims, S-1-5-21-...)`);
            return undefined;
          }
          return { kind: 'groups', values: list };
        }
        if (DEVICE_TYPES.has(type)) {
          if (!expectOperator('Equals')) return undefined;
          const levels: ('authenticated' | 'managed' | 'compliant')[] = [];
          for (const v of values(el, false) ?? []) {
            const text = 'literal' in v ? v.literal.toLowerCase() : '';
            if (DEVICE_LEVELS.has(text)) levels.push(text as 'authenticated' | 'managed' | 'compliant');
            else at(el, `device trust level "${'literal' in v ? v.literal : ''}" is not authenticated, managed or compliant`);
          }
          if (levels.length === 0) {
            at(el, `${type} without a trust level`);
            return undefined;
          }
          return { kind: 'deviceTrust', levels };
        }
        at(el, `condition type "${type}" is not one devicegate can evaluate (it evaluates AlwaysCondition, LocationCondition intranet/extranet, ${[...GROUP_TYPES][0]}, ${[...DEVICE_TYPES][0]}, SpecificClaimCondition, MultiFactorAuthenticationCondition)`);
        return undefined;
    }
  };

  const rules: RuleTemplate[] = [];
  let sawRules = false;
  for (const child of elements(root)) {
    switch (child.localName) {
      case 'RequireFreshAuthentication': {
        const v = textOf(child).toLowerCase();
        if (v === 'true') at(child, 'RequireFreshAuthentication is true: AD FS asks the user to sign in again; devicegate decides as if that happened', 'warning');
        else if (v !== 'false') at(child, `RequireFreshAuthentication must be true or false, found "${textOf(child)}"`);
        break;
      }
      case 'IssuanceAuthorizationRules':
        sawRules = true;
        for (const ruleEl of elements(child)) {
          if (ruleEl.localName !== 'Rule') {
            at(ruleEl, `<${ruleEl.localName}> in <IssuanceAuthorizationRules> (expected <Rule>)`);
            continue;
          }
          const conditions: ConditionTemplate[] = [];
          const exceptions: ConditionTemplate[] = [];
          let requireMfa = false;
          let sawConditions = false;
          const before = problems.length;
          for (const part of elements(ruleEl)) {
            if (part.localName === 'Conditions' || part.localName === 'Exceptions') {
              const inExceptions = part.localName === 'Exceptions';
              if (!inExceptions) sawConditions = true;
              for (const condEl of elements(part)) {
                const c = condition(condEl, inExceptions);
                if (c === 'mfa') requireMfa = true;
                else if (c !== undefined) (inExceptions ? exceptions : conditions).push(c);
              }
            } else {
              at(part, `<${part.localName}> in a <Rule> is not something devicegate can evaluate`);
            }
          }
          if (!sawConditions || (conditions.length === 0 && !requireMfa)) {
            if (problems.length === before) at(ruleEl, 'a <Rule> without conditions');
          }
          rules.push({ conditions, exceptions, requireMfa });
        }
        break;
      default:
        at(child, `<${child.localName}> is not something devicegate can evaluate (only RequireFreshAuthentication and IssuanceAuthorizationRules)`);
    }
  }
  if (!sawRules) at(root, 'PolicyMetadata without <IssuanceAuthorizationRules> (nobody would be permitted)');
  else if (rules.length === 0 && !problems.some((p) => p.severity === 'error')) at(root, '<IssuanceAuthorizationRules> holds no <Rule> (nobody would be permitted)');
  if (problems.some((p) => p.severity === 'error')) return { problems };
  return { policy: { rules, parameters: [...parameters].sort() }, problems };
}

/** The AD FS editor's wording, for reasons and traces. */
export function describeRuleTemplate(rule: RuleTemplate, resolve?: (v: ValueRef) => readonly string[]): string {
  const describeCondition = (c: ConditionTemplate): string => describeConditionWith(c, resolve);
  const parts = rule.conditions.map(describeCondition);
  if (parts.length === 0) parts.push('users');
  let text = `permit ${parts.join(' and ')}`;
  if (rule.exceptions.length > 0) text += ` except ${rule.exceptions.map(describeCondition).join(' or ')}`;
  if (rule.requireMfa) text += ' with MFA';
  return text;
}

function describeConditionWith(c: ConditionTemplate, resolve?: (v: ValueRef) => readonly string[]): string {
  const valueText = (v: ValueRef): string => ('literal' in v ? v.literal : resolve !== undefined ? resolve(v).join(' or ') : `{${v.parameter}}`);
  switch (c.kind) {
    case 'always':
      return 'everyone';
    case 'network':
      return `from ${c.locations.join(' or ')}`;
    case 'groups':
      return `members of ${c.values.map(valueText).join(' or ')}`;
    case 'deviceTrust':
      return `${c.levels.join(' or ')} devices`;
    case 'claim':
      return `${c.type} = ${c.values.map(valueText).join(' or ')}`;
  }
}

/** Resolves parameters into the evaluator's conditions (several values of one condition are OR-ed). */
export function instantiateCondition(c: ConditionTemplate, resolve: (v: ValueRef) => readonly string[]): AcpCondition {
  const any = (list: AcpCondition[]): AcpCondition => (list.length === 1 ? list[0]! : { kind: 'any', of: list });
  switch (c.kind) {
    case 'always':
      return { kind: 'always' };
    case 'network':
      return any(c.locations.map((location) => ({ kind: 'network', location })));
    case 'groups':
      return { kind: 'groups', sids: [...new Set(c.values.flatMap(resolve).map((s) => s.toUpperCase()))] };
    case 'deviceTrust':
      return any(c.levels.map((level) => ({ kind: 'deviceTrust', level })));
    case 'claim':
      return { kind: 'claim', type: c.type, values: c.values.flatMap(resolve) };
  }
}
