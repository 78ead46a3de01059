export { ADFS_STORE_ERROR_CODES, AdfsStoreError, isAdfsStoreError, type AdfsStoreErrorCode } from './errors.js';
export {
  parseStoreQuery,
  parseStoreQueryCached,
  bindArguments,
  QUERY_LIMITS,
  DEVICE_COLUMNS,
  DECISION_COLUMNS,
  VERB_NAMES,
  type ParsedQuery,
  type QueryArgument,
  type Verb,
} from './query-grammar.js';
export { executeStoreQuery, type StoreTable } from './execute-query.js';
