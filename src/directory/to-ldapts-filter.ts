import {
  AndFilter,
  ApproximateFilter,
  EqualityFilter,
  GreaterThanEqualsFilter,
  LessThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
  SubstringFilter,
  type Filter,
} from 'ldapts';
import type { FilterNode } from './ldap-filter.js';
import { isSidText, sidTextToBinary } from './sid-codec.js';

// Attributes of AD's SID syntax: AD also accepts SID text in a filter, slapd does not, so send bytes.
const SID_SYNTAX = new Set(['objectsid', 'sidhistory', 'securityidentifier', 'msds-computersid']);

/**
 * Our parsed filter -> ldapts filter objects. Built from the bytes, so binary assertion values reach
 * the server unchanged (ldapts' own string parser turns `\xx` into UTF-16 code units, which breaks
 * bytes >= 0x80).
 */
export function toLdaptsFilter(node: FilterNode): Filter {
  switch (node.type) {
    case 'and':
      return new AndFilter({ filters: node.filters.map(toLdaptsFilter) });
    case 'or':
      return new OrFilter({ filters: node.filters.map(toLdaptsFilter) });
    case 'not':
      return new NotFilter({ filter: toLdaptsFilter(node.filter) });
    case 'present':
      return new PresenceFilter({ attribute: node.attribute });
    case 'equality':
      if (SID_SYNTAX.has(node.attribute.toLowerCase())) {
        const text = node.value.toString('latin1').toUpperCase();
        if (isSidText(text)) return new EqualityFilter({ attribute: node.attribute, value: sidTextToBinary(text) });
      }
      return new EqualityFilter({ attribute: node.attribute, value: node.value });
    case 'approx':
      return new ApproximateFilter({ attribute: node.attribute, value: node.value.toString('utf8') });
    case 'ge':
      return new GreaterThanEqualsFilter({ attribute: node.attribute, value: node.value.toString('utf8') });
    case 'le':
      return new LessThanEqualsFilter({ attribute: node.attribute, value: node.value.toString('utf8') });
    case 'substring':
      return new SubstringFilter({
        attribute: node.attribute,
        ...(node.initial ? { initial: node.initial.toString('utf8') } : {}),
        any: node.any.map((b) => b.toString('utf8')),
        ...(node.final ? { final: node.final.toString('utf8') } : {}),
      });
  }
}
