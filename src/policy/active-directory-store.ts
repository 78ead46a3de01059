import { escapeFilterValue, type DeviceDirectory } from '../directory/index.js';
import type { AttributeStore } from '../language/index.js';
import { PolicyError } from './errors.js';

const PLACEHOLDER = /\{(\d+)\}/g;

function substitute(text: string, params: readonly string[], escape: boolean): string {
  return text.replace(PLACEHOLDER, (_, n: string) => {
    const value = params[Number(n)];
    if (value === undefined) throw new PolicyError('DG_ERR_POLICY_ATTRIBUTE_STORE', `attribute store query uses {${n}} but only ${params.length} parameter(s) were given`);
    return escape ? escapeFilterValue(value) : value;
  });
}

/** Parsed form of an "Active Directory" store query: `<filter>;<attr1>,<attr2>;<DOMAIN\user>`. */
export interface AdStoreQuery {
  readonly filter: string;
  readonly attributes: readonly string[];
}

/**
 * Builds the LDAP filter and attribute list. Every parameter is escaped as an RFC 4515 value in
 * the filter part; an empty filter means the account named by the third part (sAMAccountName
 * from its user part, as AD FS does for `;tokenGroups;{0}`).
 */
export function parseAdStoreQuery(query: string, params: readonly string[]): AdStoreQuery {
  const parts = query.split(';');
  if (parts.length !== 3) {
    throw new PolicyError('DG_ERR_POLICY_ATTRIBUTE_STORE', 'Active Directory store query must be "<filter>;<attributes>;<DOMAIN\\user>"');
  }
  const [rawFilter, rawAttrs, rawAccount] = parts as [string, string, string];
  const attributes = rawAttrs.split(',').map((a) => a.trim()).filter((a) => a !== '');
  if (attributes.length === 0) throw new PolicyError('DG_ERR_POLICY_ATTRIBUTE_STORE', 'Active Directory store query names no attributes');
  for (const a of attributes) {
    if (!/^[A-Za-z][A-Za-z0-9-]*$|^\d+(\.\d+)+$/.test(a)) throw new PolicyError('DG_ERR_POLICY_ATTRIBUTE_STORE', `"${a}" is not an LDAP attribute name`);
  }
  let filter = substitute(rawFilter.trim(), params, true);
  if (filter === '') {
    const account = substitute(rawAccount.trim(), params, false);
    const user = account.includes('\\') ? account.slice(account.lastIndexOf('\\') + 1) : account;
    if (user === '') throw new PolicyError('DG_ERR_POLICY_ATTRIBUTE_STORE', 'Active Directory store query has neither a filter nor a DOMAIN\\user account');
    filter = `(sAMAccountName=${escapeFilterValue(user)})`;
  } else if (!filter.startsWith('(')) {
    filter = `(${filter})`;
  }
  return { filter, attributes };
}

/**
 * The "Active Directory" attribute store over DeviceDirectory.searchAttributes. A search that hits
 * `sizeLimit` (default 100 entries) fails the query, as any directory error does: a partial table
 * would let deny rules fed by it silently not fire (the decision fails closed instead).
 */
export function createActiveDirectoryStore(directory: DeviceDirectory, options: { readonly sizeLimit?: number } = {}): AttributeStore {
  return {
    async query(query: string, params: readonly string[], types: readonly string[]): Promise<string[][]> {
      const { filter, attributes } = parseAdStoreQuery(query, params);
      if (types.length > 0 && types.length !== attributes.length) {
        throw new PolicyError('DG_ERR_POLICY_ATTRIBUTE_STORE', `query returns ${attributes.length} attribute(s) but the rule issues ${types.length} claim type(s)`);
      }
      let entries;
      try {
        entries = options.sizeLimit !== undefined ? await directory.searchAttributes(filter, attributes, options.sizeLimit) : await directory.searchAttributes(filter, attributes);
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'error';
        throw new PolicyError('DG_ERR_POLICY_ATTRIBUTE_STORE', `Active Directory attribute store query failed (${code})`);
      }
      const columns: string[][] = attributes.map(() => []);
      for (const entry of entries) {
        // Attribute names in results may differ in case from the query.
        const lower = new Map(Object.entries(entry).map(([k, v]) => [k.toLowerCase(), v]));
        attributes.forEach((a, i) => {
          for (const v of lower.get(a.toLowerCase()) ?? []) columns[i]!.push(v);
        });
      }
      return columns;
    },
  };
}
