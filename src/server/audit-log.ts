import type { Decision } from '../policy/index.js';

/** Where audit lines go: a pino/sonic-boom destination, a stream, or a test's collector. */
export interface AuditSink {
  write(line: string): unknown;
}

export interface AuditLogOptions {
  readonly sink: AuditSink;
  /** Fraction of decisions written, 0 < rate <= 1 (default 1: every decision). */
  readonly sampleRate?: number;
}

/** What the audit line says about the request, besides the decision itself. */
export interface AuditContext {
  readonly requestId: string;
  /** The caller's name (token entry name, mtls:<CN>); never the token. */
  readonly caller: string | undefined;
  readonly startedAt: number;
  readonly now: number;
}

type DeviceView = Decision['device'] & { readonly proof?: string };

/**
 * One JSON line per decision: time, requestId, caller, relyingParty, deviceId, deviceStatus,
 * deviceProof, deviceSource, decision, reasonCode, reasonRule, policyRevision, latencyMs
 * (+ enforcement for report-only relying parties, simulatedAt for what-if decisions).
 *
 * Built as a string from pre-serialized fragments: the relying party and device views of cached
 * decisions are frozen objects shared between requests, so their JSON is made once per object; the
 * timestamp is made once per millisecond. Only values devicegate produced go in (the relying party's
 * configured id, the directory's device id, reason codes): never a token, password, certificate,
 * SAML token or caller-supplied claim.
 */
export class AuditLog {
  readonly #sink: AuditSink;
  readonly #rate: number;
  readonly #fragments = new WeakMap<object, string>();
  #lastMs = -1;
  #lastTime = '';
  #lastRevision = '';
  #lastRevisionJson = '""';

  constructor(options: AuditLogOptions) {
    this.#sink = options.sink;
    const rate = options.sampleRate ?? 1;
    if (!(rate > 0 && rate <= 1)) throw new RangeError('audit sample rate must be in (0, 1]');
    this.#rate = rate;
  }

  record(decision: Decision, context: AuditContext): void {
    if (this.#rate < 1 && Math.random() >= this.#rate) return;
    this.#sink.write(this.line(decision, context));
  }

  /** The line (with its newline) for a decision; exported for tests through `record`'s sink. */
  line(decision: Decision, context: AuditContext): string {
    const ms = Math.floor(Date.now());
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastTime = new Date(ms).toISOString();
    }
    if (decision.policyRevision !== this.#lastRevision) {
      this.#lastRevision = decision.policyRevision;
      this.#lastRevisionJson = JSON.stringify(decision.policyRevision);
    }
    const reason = decision.reason;
    const enforcement = decision.enforcement;
    return (
      `{"time":"${this.#lastTime}","requestId":${JSON.stringify(context.requestId)},"caller":${context.caller === undefined ? 'null' : JSON.stringify(context.caller)},` +
      this.#fragment(decision.relyingParty, relyingPartyFragment) +
      this.#fragment(decision.device, deviceFragment) +
      `"decision":"${decision.decision}","reasonCode":${JSON.stringify(reason.code)}` +
      (reason.rule !== undefined ? `,"reasonRule":${JSON.stringify(reason.rule)}` : '') +
      (enforcement !== undefined ? `,"enforcement":{"decision":"${enforcement.decision}","reasonCode":${JSON.stringify(enforcement.reason.code)}}` : '') +
      `,"policyRevision":${this.#lastRevisionJson},"latencyMs":${(context.now - context.startedAt).toFixed(3)}` +
      (decision.simulation !== undefined ? `,"simulatedAt":${JSON.stringify(decision.simulation.at)}` : '') +
      '}\n'
    );
  }

  #fragment<T extends object>(value: T, make: (value: T) => string): string {
    if (!Object.isFrozen(value)) return make(value);
    let fragment = this.#fragments.get(value);
    if (fragment === undefined) this.#fragments.set(value, (fragment = make(value)));
    return fragment;
  }
}

function relyingPartyFragment(rp: Decision['relyingParty']): string {
  return `"relyingParty":${JSON.stringify(rp.id)},`;
}

function deviceFragment(device: DeviceView): string {
  return (
    (device.id !== undefined ? `"deviceId":${JSON.stringify(device.id)},` : '') +
    `"deviceStatus":${JSON.stringify(device.status)},` +
    (device.proof !== undefined ? `"deviceProof":${JSON.stringify(device.proof)},` : '') +
    `"deviceSource":${JSON.stringify(device.source)},`
  );
}
