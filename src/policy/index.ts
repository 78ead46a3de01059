export type {
  Decision,
  DecisionEngine,
  DecisionReason,
  DecisionRequest,
  DecisionResult,
  DeviceDescription,
  DeviceProof,
  DevicePresentation,
  DeviceSource,
  DeviceStatus,
  RelyingPartySummary,
  ResolvedDevice,
  TraceEntry,
} from './decision-types.js';
export { createDecisionEngine, type DecisionEngineOptions, type DecisionEngineWithInternals } from './decision-engine.js';
export { PolicyError, PolicyLoadError, POLICY_ERROR_CODES, isPolicyError, type PolicyErrorCode } from './errors.js';
export { decodeText } from '../text/index.js';
export { loadRegistry, type LoadRegistryOptions, type Registry, type LoadedRelyingParty, type LoadedRuleSet } from './registry.js';
export { parseFarmSettings, DEFAULT_ACCEPTANCE_RULES, type FarmSettings } from './farm-settings.js';
export { parseRelyingPartyConfig, type RelyingPartyConfig } from './relying-party-config.js';
export {
  BUILT_IN_POLICIES,
  compileAccessControlPolicy,
  evaluateAccessControlPolicy,
  type AcpCondition,
  type AcpRule,
  type CompiledAccessControlPolicy,
  type CustomAccessControlPolicy,
} from './access-control-policies.js';
export { parsePolicyMetadata, type PolicyTemplate, type PolicyProblem } from './policy-metadata.js';
export { POLICIES_DIR, POLICY_JSON, POLICY_XML } from './custom-policies.js';
export { loadProblem, type LoadProblem } from './load-problem.js';
export { parseJsonWithPositions, positionAt, type JsonIssue, type JsonPath } from './json-position.js';
export { DeviceResolver, presentationToQuery, type Logger } from './device-resolver.js';
export { createActiveDirectoryStore, parseAdStoreQuery } from './active-directory-store.js';
export { runPipeline } from './pipeline.js';
export { FAIL_CLOSED_REASON_CODES, failClosedCode, failClosedReasonOf, isFailClosedReason, type FailClosedReasonCode } from './fail-closed.js';
export { isProtectedClaimType, screenCallerClaims, type ScreenedClaims } from './trust-boundary.js';
export { importAdfsExport, parseAdfsExport, slugify, type ImportReport, type ImportedTrust, type SkippedTrust, type AdfsTrustExport } from './adfs-import.js';
export { parseRfc3339, simulated, RFC3339_PATTERN } from './simulation.js';
