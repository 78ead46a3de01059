// The request sequence: Zipf popularity, unknown share, presentation choice, population sources.
import t from 'tap';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLdifDirectory } from '../../src/directory/index.js';
import { readPopulationFile, samplePopulation, seededRandom, Workload, ZipfSampler } from '../../src/loadtest/index.js';
import { ROOT } from '../cli/run-cli.js';

t.test('Zipf sampler: draws follow 1/k^s (s = 0 is uniform), seeded draws repeat', async (t) => {
  const n = 50;
  const draws = 200_000;
  for (const s of [0, 1, 1.5]) {
    const zipf = new ZipfSampler(n, s, seededRandom(7));
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < draws; i++) counts[zipf.next()]!++;
    const h = Array.from({ length: n }, (_, k) => 1 / Math.pow(k + 1, s)).reduce((a, b) => a + b, 0);
    for (const k of [0, 1, 9, 49]) {
      const expected = 1 / Math.pow(k + 1, s) / h;
      t.equal(Number(zipf.probability(k).toFixed(12)), Number(expected.toFixed(12)), `s=${s}: P(rank ${k})`);
      const observed = counts[k]! / draws;
      // 5 standard deviations of a binomial proportion: fails only if the sampler is wrong.
      const sd = Math.sqrt((expected * (1 - expected)) / draws);
      t.ok(Math.abs(observed - expected) < 5 * sd + 1e-4, `s=${s}: rank ${k} drawn ${observed.toFixed(4)}, expected ${expected.toFixed(4)}`);
    }
  }
  const a = new ZipfSampler(1000, 1, seededRandom(3));
  const b = new ZipfSampler(1000, 1, seededRandom(3));
  t.same(Array.from({ length: 100 }, () => a.next()), Array.from({ length: 100 }, () => b.next()), 'same seed, same sequence');
  t.throws(() => new ZipfSampler(0, 1, Math.random), RangeError);
  t.throws(() => new ZipfSampler(10, -1, Math.random), RangeError);
});

t.test('workload: presentations, unknown share and relying parties in turn', async (t) => {
  const population = await readPopulationFile('fixtures/devices.json', ROOT);
  t.ok(population.length >= 5, 'the fixture manifest gives the directory devices');
  t.ok(population.every((d) => d.certificate?.includes('BEGIN CERTIFICATE')), 'certificate files are read');
  const known = new Set(population.flatMap((d) => [d.thumbprint, d.deviceId]));

  const w = new Workload({ population, zipf: 1, unknownShare: 0.25, presentation: 'thumbprint', relyingParties: ['a', 'b', 'c'], seed: 1 });
  let unknown = 0;
  let notThumbprint = 0;
  let misfiled = 0;
  const rps: string[] = [];
  for (let i = 0; i < 4000; i++) {
    const item = w.next();
    rps.push(item.relyingParty!);
    if (!('thumbprint' in item.presentation)) notThumbprint++;
    else if (known.has(item.presentation.thumbprint) === item.unknown) misfiled++;
    if (item.unknown) unknown++;
  }
  t.equal(notThumbprint, 0, 'thumbprint mode sends thumbprints only');
  t.equal(misfiled, 0, 'made-up devices are not in the population, the others are');
  t.ok(unknown > 4000 * 0.2 && unknown < 4000 * 0.3, `unknown share near 25% (${unknown}/4000)`);
  t.same(rps.slice(0, 6), ['a', 'b', 'c', 'a', 'b', 'c'], 'relying parties in turn');

  const mixed = new Workload({ population, zipf: 0, unknownShare: 0, presentation: 'mixed', relyingParties: [], seed: 2 });
  const kinds = new Set<string>();
  for (let i = 0; i < 500; i++) kinds.add(Object.keys(mixed.next().presentation)[0]!);
  t.same([...kinds].sort(), ['certificate', 'deviceId', 'thumbprint'], 'mixed uses every way a device can be named');
});

t.test('population sources: JSON lines, request bodies, directory sample; certificate-only needs certificates', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dg-pop-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.jsonl');
  await writeFile(file, '{"thumbprint":"0058DF301BC35E03A80EC24DB632FACF52D05041"}\n\n{"relyingParty":"x","device":{"deviceId":"e519228d-8c2b-47d8-afb4-5b33dfe6aeff"}}\n');
  const lines = await readPopulationFile(file, dir);
  t.same(lines, [{ thumbprint: '0058DF301BC35E03A80EC24DB632FACF52D05041' }, { deviceId: 'e519228d-8c2b-47d8-afb4-5b33dfe6aeff' }]);
  t.throws(() => new Workload({ population: lines, zipf: 1, unknownShare: 0, presentation: 'certificate', relyingParties: [], seed: 1 }), { code: 'DG_ERR_LOADTEST_POPULATION' });

  const ldif = await openLdifDirectory(join(ROOT, 'fixtures/contoso.ldif'));
  t.teardown(() => ldif.close());
  const sampled = await samplePopulation(ldif, 1000);
  const manifest = await readPopulationFile('fixtures/devices.json', ROOT);
  t.same(new Set(sampled.map((d) => d.deviceId)), new Set(manifest.map((d) => d.deviceId)), 'the LDIF sample holds exactly the directory devices');
  t.equal((await samplePopulation(ldif, 3)).length, 3, 'the sample is bounded');
});
