import t from 'tap';
import { TOP_HELP } from '../../src/cli/main.js';
import { runCapture } from './run-cli.js';

t.test('no arguments prints help and is a usage error', async (t) => {
  const r = await runCapture([]);
  t.equal(r.code, 2);
  t.equal(r.out, TOP_HELP);
});

t.test('--help exits 0', async (t) => {
  const r = await runCapture(['--help']);
  t.equal(r.code, 0);
  t.match(r.out, /rules lint/);
});

t.test('unknown command is a usage error naming it', async (t) => {
  const r = await runCapture(['frobnicate']);
  t.equal(r.code, 2);
  t.match(r.err, /unknown command "frobnicate"/);
});

t.test('a group word alone suggests its commands', async (t) => {
  const r = await runCapture(['rules']);
  t.equal(r.code, 2);
  t.match(r.err, /devicegate rules lint/);
});

t.test('every command answers --help with exit 0 and a usage line', async (t) => {
  for (const command of ['serve', 'decide', 'device', 'cert key', 'rules lint', 'rules eval', 'rules fmt', 'import', 'token create']) {
    const r = await runCapture([...command.split(' '), '--help']);
    t.equal(r.code, 0, `${command} --help exits 0`);
    t.match(r.out, new RegExp(`Usage: devicegate ${command}`), `${command} --help prints its usage`);
  }
});

t.test('--version and -v; group --help lists the subcommands of rules, cert and token', async (t) => {
  for (const flag of ['--version', '-v']) {
    const r = await runCapture([flag]);
    t.equal(r.code, 0);
    t.match(r.out, /^devicegate \d+\.\d+\.\d+\n$/);
  }
  const table: [string, string[]][] = [
    ['rules', ['lint', 'eval', 'fmt']],
    ['cert', ['key']],
    ['token', ['create']],
  ];
  for (const [group, subs] of table) {
    for (const help of ['--help', '-h']) {
      const r = await runCapture([group, help]);
      t.equal(r.code, 0, `${group} ${help}`);
      for (const sub of subs) t.match(r.out, `devicegate ${group} ${sub}`);
    }
  }
});
