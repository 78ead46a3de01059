/** SIGHUP and --watch reload rules/ in a running `devicegate serve`; a broken tree keeps the running revision. */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenHashEntry } from '../../src/server/index.js';
import { copyRules, startServe } from './serve-process.js';

const TOKEN = 'reload-test-token-aa11bb22';
const env = { DEVICEGATE_API_TOKENS: tokenHashEntry(TOKEN) };

async function decide(base: string): Promise<{ status: number; revision?: string; name?: string }> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${base}/v1/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ relyingParty: 'https://payroll.contoso.com/' }),
    });
    if (res.status === 503 && attempt < 10) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    const body = (await res.json()) as { policyRevision?: string; relyingParty?: { name: string } };
    return { status: res.status, ...(body.policyRevision ? { revision: body.policyRevision } : {}), ...(body.relyingParty ? { name: body.relyingParty.name } : {}) };
  }
}

function renamePayroll(rules: string, name: string): void {
  const file = join(rules, 'relying-parties/payroll/relying-party.json');
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), name }));
}

t.test('SIGHUP reloads rules; a broken tree keeps the running revision and logs why; the server stays up', async (t) => {
  const rules = copyRules(t);
  const serve = await startServe(t, ['--rules', rules, '--log-level', 'info', '--audit-log', 'off'], env);
  t.same(await decide(serve.base), { status: 200, revision: serve.revision, name: 'Payroll' });

  renamePayroll(rules, 'Payroll (renamed)');
  serve.child.kill('SIGHUP');
  const reloaded = await serve.waitForStderr(/SIGHUP: rules reloaded/);
  const after = await decide(serve.base);
  t.equal(after.name, 'Payroll (renamed)');
  t.not(after.revision, serve.revision, 'a new revision');
  t.match(reloaded, after.revision!);

  const broken = join(rules, 'relying-parties/payroll/authorization.rules');
  writeFileSync(broken, '@RuleName = "broken"\nc:[Type == "x" => permit(;\n');
  serve.child.kill('SIGHUP');
  const failed = await serve.waitForStderr(/SIGHUP: rules reload failed/);
  t.match(failed, `keeping revision ${after.revision!}`);
  t.match(failed, /authorization\.rules:\d+:\d+/, 'the log names the file and position');
  t.same(await decide(serve.base), { status: 200, revision: after.revision, name: 'Payroll (renamed)' }, 'still the running rules');
  t.equal(serve.child.exitCode, null, 'SIGHUP never stops the server');
  t.equal(await serve.stop(), 0);
});

t.test('--watch reloads when a file under rules/ changes', async (t) => {
  const rules = copyRules(t);
  const serve = await startServe(t, ['--rules', rules, '--log-level', 'info', '--audit-log', 'off', '--watch'], env);
  t.equal((await decide(serve.base)).name, 'Payroll');
  renamePayroll(rules, 'Payroll (watched)');
  await serve.waitForStderr(/rules reloaded/);
  t.equal((await decide(serve.base)).name, 'Payroll (watched)');
  t.equal(await serve.stop(), 0);
});
