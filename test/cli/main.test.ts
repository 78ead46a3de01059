import t from 'tap';
import { PassThrough } from 'node:stream';
import { runCli, TOP_HELP } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';

function capture(): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd() }, out: () => o, err: () => e };
}

t.test('no arguments prints help and is a usage error', async (t) => {
  const c = capture();
  t.equal(await runCli([], c.io), 2);
  t.equal(c.out(), TOP_HELP);
});

t.test('--help exits 0', async (t) => {
  const c = capture();
  t.equal(await runCli(['--help'], c.io), 0);
  t.match(c.out(), /rules lint/);
});

t.test('unknown command is a usage error naming it', async (t) => {
  const c = capture();
  t.equal(await runCli(['frobnicate'], c.io), 2);
  t.match(c.err(), /unknown command "frobnicate"/);
});

t.test('a group word alone suggests its commands', async (t) => {
  const c = capture();
  t.equal(await runCli(['rules'], c.io), 2);
  t.match(c.err(), /devicegate rules lint/);
});
