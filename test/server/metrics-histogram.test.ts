import t from 'tap';
import { Histogram, Registry } from 'prom-client';
import { PlainHistogram } from '../../src/server/server-metrics.js';

const BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

// The decision latency histogram is ours (no prom-client work per request); its exposition must be
// what prom-client's own Histogram prints for the same observations.
const series: { name: string; values: number[] }[] = [
  { name: 'nothing observed', values: [] },
  { name: 'one fast decision', values: [0.00001] },
  { name: 'on the bounds', values: BUCKETS },
  { name: 'past the last bound', values: [2, 5, 0.3] },
  { name: 'a spread', values: Array.from({ length: 500 }, (_, i) => (i * 7919 % 1000) / 2000) },
];

for (const { name, values } of series) {
  t.test(name, async (t) => {
    const ours = new Registry();
    const theirs = new Registry();
    const plain = new PlainHistogram('x_seconds', 'help text', BUCKETS, ours);
    const reference = new Histogram({ name: 'x_seconds', help: 'help text', buckets: BUCKETS, registers: [theirs] });
    for (const v of values) {
      plain.observe(v);
      reference.observe(v);
    }
    t.equal(await ours.metrics(), await theirs.metrics(), 'text exposition');
    t.same(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON(), 'JSON');
    ours.resetMetrics();
    theirs.resetMetrics();
    t.equal(await ours.metrics(), await theirs.metrics(), 'after reset');
  });
}
