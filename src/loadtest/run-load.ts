import hdr from 'hdr-histogram-js';
import type { LoadTarget } from './target.js';
import type { WorkItem } from './workload.js';

export type Histogram = ReturnType<typeof hdr.build>;

/** --rate N (open loop: starts on schedule, latency from the scheduled start) or --connections N (closed loop). */
export type LoadMode = { readonly kind: 'open'; readonly rate: number } | { readonly kind: 'closed'; readonly connections: number };

export interface LoadOptions {
  readonly target: LoadTarget;
  readonly next: () => WorkItem;
  readonly mode: LoadMode;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  /** Open loop: requests waiting for a free slot beyond this many in flight queue here (their latency still runs). */
  readonly maxInFlight?: number;
  /** Called about once a second with the measured window so far. */
  readonly onProgress?: (progress: Progress) => void;
  /** Clock in ms (performance.now by default). */
  readonly now?: () => number;
}

export interface Progress {
  readonly elapsedSeconds: number;
  readonly phase: 'warmup' | 'measure' | 'drain';
  /** Completions in the last interval, per second. */
  readonly rate: number;
  readonly requests: number;
  readonly errors: number;
  readonly p99Ms: number;
  readonly inFlight: number;
}

/** One second of the measured window (by completion time). */
export interface TimelinePoint {
  readonly second: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface LoadResult {
  /** Latency of every measured request, µs, errors included (a stall that ends in an error is still a stall). */
  readonly histogram: Histogram;
  readonly requests: number;
  readonly warmupRequests: number;
  readonly durationSeconds: number;
  readonly labels: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  readonly timeline: readonly TimelinePoint[];
  readonly maxInFlight: number;
}

const newHistogram = (): Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });

/**
 * Drives the target. Open loop: request k is due at start + k / rate and starts then whether or not
 * earlier ones finished; its latency counts from that due time, so a stalled server cannot hide the
 * requests it delayed (no coordinated omission). Closed loop: N workers, each sends its next request
 * when the previous one is answered; latency from the send. Requests due in the warm-up are sent but
 * not measured; after the window, requests still in flight are waited for and measured.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const now = options.now ?? (() => performance.now());
  const { target } = options;
  const histogram = newHistogram();
  const interval = newHistogram();
  const labels: Record<string, number> = Object.fromEntries(target.labels.map((l) => [l, 0]));
  const errors: Record<string, number> = {};
  const timeline: TimelinePoint[] = [];
  const start = now();
  const measureFrom = start + options.warmupSeconds * 1000;
  const measureTo = measureFrom + options.durationSeconds * 1000;
  let requests = 0;
  let errorCount = 0;
  let warmupRequests = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let lastCompletion = measureFrom;
  let second = { index: 0, requests: 0, errors: 0 };

  const closeSecond = (): void => {
    timeline.push({
      second: second.index,
      requests: second.requests,
      errors: second.errors,
      p50Ms: interval.totalCount > 0 ? interval.getValueAtPercentile(50) / 1000 : 0,
      p99Ms: interval.totalCount > 0 ? interval.getValueAtPercentile(99) / 1000 : 0,
      maxMs: interval.totalCount > 0 ? interval.maxValue / 1000 : 0,
    });
    interval.reset();
    second = { index: second.index + 1, requests: 0, errors: 0 };
  };

  const record = (startedAt: number, outcome: Awaited<ReturnType<LoadTarget['send']>>): void => {
    if (startedAt < measureFrom) {
      warmupRequests++;
      return;
    }
    const done = now();
    const micros = Math.max(1, Math.round((done - startedAt) * 1000));
    const index = Math.floor((done - measureFrom) / 1000);
    while (second.index < index) closeSecond();
    histogram.recordValue(micros);
    interval.recordValue(micros);
    requests++;
    second.requests++;
    if (done > lastCompletion) lastCompletion = done;
    if (outcome.ok) labels[outcome.label] = (labels[outcome.label] ?? 0) + 1;
    else {
      errorCount++;
      second.errors++;
      errors[outcome.error] = (errors[outcome.error] ?? 0) + 1;
    }
  };

  const send = async (due: number): Promise<void> => {
    inFlight++;
    if (inFlight > peakInFlight) peakInFlight = inFlight;
    const outcome = await target.send(options.next());
    inFlight--;
    record(due, outcome);
  };

  // Progress, once a second.
  let lastCount = 0;
  let lastTick = start;
  const progressTimer = options.onProgress
    ? setInterval(() => {
        const t = now();
        const total = requests + warmupRequests;
        options.onProgress!({
          elapsedSeconds: (t - start) / 1000,
          phase: t < measureFrom ? 'warmup' : t < measureTo ? 'measure' : 'drain',
          rate: ((total - lastCount) * 1000) / Math.max(1, t - lastTick),
          requests,
          errors: errorCount,
          p99Ms: histogram.totalCount > 0 ? histogram.getValueAtPercentile(99) / 1000 : 0,
          inFlight,
        });
        lastCount = total;
        lastTick = t;
      }, 1000)
    : undefined;

  try {
    if (options.mode.kind === 'open') await openLoop(options.mode.rate, start, measureTo, options.maxInFlight ?? 10_000, now, send);
    else await closedLoop(options.mode.connections, measureTo, now, send);
  } finally {
    if (progressTimer) clearInterval(progressTimer);
  }
  if (second.requests > 0) closeSecond();
  return {
    histogram,
    requests,
    warmupRequests,
    durationSeconds: Math.max(options.durationSeconds, (lastCompletion - measureFrom) / 1000),
    labels,
    errors,
    timeline,
    maxInFlight: peakInFlight,
  };
}

async function openLoop(rate: number, start: number, end: number, maxInFlight: number, now: () => number, send: (due: number) => Promise<void>): Promise<void> {
  const gap = 1000 / rate;
  const queue: number[] = [];
  let inFlight = 0;
  let k = 0;
  let scheduling = true;
  let drained: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (drained = resolve));
  const launch = (due: number): void => {
    inFlight++;
    void send(due).finally(() => {
      inFlight--;
      const waiting = queue.shift();
      if (waiting !== undefined) launch(waiting);
      else if (inFlight === 0 && !scheduling) drained();
    });
  };
  await new Promise<void>((done) => {
    const tick = (): void => {
      const t = now();
      while (start + k * gap <= t && start + k * gap < end) {
        const due = start + k * gap;
        k++;
        if (inFlight < maxInFlight) launch(due);
        else queue.push(due);
      }
      const nextDue = start + k * gap;
      if (nextDue >= end) {
        done();
        return;
      }
      // setTimeout has ~1 ms granularity; whatever fell due meanwhile starts in the next tick's batch.
      setTimeout(tick, Math.max(0, nextDue - now()));
    };
    tick();
  });
  scheduling = false;
  if (inFlight === 0 && queue.length === 0) return;
  await allDone;
}

async function closedLoop(connections: number, end: number, now: () => number, send: (due: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (now() < end) await send(now());
    }),
  );
}
