/** Every diagnostic code the language reports, with what it means (pinned by a test). */
export const DIAGNOSTIC_CODES = {
  DG_LANG_UNEXPECTED_CHARACTER: 'a character that starts no token (comments are not part of the language)',
  DG_LANG_UNTERMINATED_STRING: 'a string literal without its closing quote on the same line (strings cannot span lines)',
  DG_LANG_SMART_QUOTE: 'a typographic quote used as a string delimiter (error; repaired with a warning when lenient)',
  DG_LANG_SYNTAX: 'the parser expected something else here; the message says what',
  DG_LANG_MISSING_SEMICOLON: "a rule not ended by ';' (at the end of input: accepted with a warning when lenient)",
  DG_LANG_BAD_INTEGER: 'the count(...) operand is not a non-negative integer',
  DG_LANG_TAGGED_AGGREGATE: 'a tag on exists/NOT exists/count (aggregates bind no claim)',
  DG_LANG_STORE_ARGUMENTS: 'attribute-store issuance arguments missing or not in the order store, types, query, param...',
  DG_LANG_MIXED_ARGUMENTS: 'new-claim assignments mixed with attribute-store arguments or a claim copy',
  DG_LANG_UNBOUND_TAG: 'the issuance statement or a constraint names a tag no selector of the rule binds',
  DG_LANG_SELF_REFERENCE: "a selector's constraint refers to the selector's own tag",
  DG_LANG_MISSING_TYPE: 'a new-claim issuance without Type',
  DG_LANG_DUPLICATE_ASSIGNMENT: 'a claim property assigned twice in one issuance',
  DG_LANG_ADD_COPY: 'add(claim = c) has no effect (warning)',
  DG_LANG_MIXED_CONDITIONS: 'claim selectors and aggregate functions in one rule (warning by default)',
  DG_LANG_DUPLICATE_TAG: 'two selectors of one rule bind the same tag (warning)',
  DG_LANG_UNKNOWN_FUNCTION: 'a function other than RegexReplace, or RegexReplace with other than 3 arguments',
  DG_LANG_REGEX_INVALID: 'a regular expression that does not compile',
  DG_LANG_REGEX_UNSUPPORTED: 'a .NET regular-expression construct with no exact linear-time (RE2) translation: backreferences, most lookaheads, atomic/conditional groups...',
  DG_LANG_REGEX_NESTED_QUANTIFIER: 'a nested quantifier like (a+)+: exponential in a backtracking engine (AD FS), linear here (warning)',
  DG_LANG_SELF_JOIN: 'a rule joining one claim type with itself three or more ways (warning; bounded by the evaluation budget)',
  DG_LANG_UNKNOWN_STORE: 'an attribute store not in the configured list',
  DG_LANG_HTTPS_CLAIM_TYPE: 'a claim type starting https://schemas.microsoft.com/ or https://schemas.xmlsoap.org/ (docs rewrite bug; lint warning)',
  DG_LANG_TOO_MANY_ERRORS: 'the parser stopped reporting after many errors',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
