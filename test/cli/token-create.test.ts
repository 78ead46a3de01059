import t from 'tap';
import { parseApiTokens, callerOfToken } from '../../src/server/index.js';
import { fixtureApp } from '../server/fixture-app.js';
import { runCapture } from './run-cli.js';

t.test('token create --json: a new token, its entry admits it with the scope and name', async (t) => {
  const r = await runCapture(['token', 'create', '--scope', 'admin', '--name', 'adfs-farm', '--json']);
  t.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { token: string; entry: string; scope: string; name: string };
  t.match(out.token, /^dg_[A-Za-z0-9_-]{40,}$/);
  t.match(out.entry, /^adfs-farm=admin:sha256:[0-9a-f]{64}$/);
  t.notMatch(out.entry, out.token, 'the entry holds the hash, not the token');
  const tokens = parseApiTokens(out.entry);
  t.same(callerOfToken(tokens, out.token) && { scope: callerOfToken(tokens, out.token)!.scope, name: callerOfToken(tokens, out.token)!.name }, { scope: 'admin', name: 'adfs-farm' });

  // The entry works against a real app: the admin route takes the token.
  const { app } = await fixtureApp(t, { auth: { tokens } });
  const purge = await app.inject({ method: 'POST', url: '/v1/admin/cache/purge', headers: { authorization: `Bearer ${out.token}`, 'content-type': 'application/json' }, payload: '{}' });
  t.equal(purge.statusCode, 200, purge.body);
});

t.test('token create: default scope decide, printed once, fresh every time', async (t) => {
  const a = await runCapture(['token', 'create']);
  const b = await runCapture(['token', 'create']);
  t.equal(a.code, 0);
  const token = /shown once; store it now\): (\S+)/.exec(a.out)![1]!;
  const entry = /DEVICEGATE_API_TOKENS entry:\s+(\S+)/.exec(a.out)![1]!;
  t.match(entry, /^sha256:[0-9a-f]{64}$/, 'unnamed decide entry keeps the old syntax');
  t.equal(a.out.split(token).length - 1, 1, 'the token appears once');
  t.equal(callerOfToken(parseApiTokens(entry), token)?.scope, 'decide');
  t.not(a.out, b.out);
});

t.test('token create: bad scope or name is a usage error', async (t) => {
  for (const args of [['--scope', 'root'], ['--name', 'a,b'], ['--name', 'x=y'], ['--name', ''], ['--frob']]) {
    const r = await runCapture(['token', 'create', ...args]);
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.out, '', 'no token printed');
  }
});
