import t from 'tap';
import { callerOfToken, generateToken, hashToken, parseApiTokens, scopeOfToken, tokenHashEntry, TokenVerifier } from '../../src/server/api-tokens.js';

t.test('parses decide and admin hashes', async (t) => {
  const a = tokenHashEntry('alpha');
  const b = tokenHashEntry('bravo', 'admin');
  const tokens = parseApiTokens(` ${a} , ${b.toUpperCase().replace('ADMIN:SHA256:', 'admin:sha256:')}`);
  t.equal(tokens.length, 2);
  t.equal(tokens[0]!.scope, 'decide');
  t.equal(tokens[1]!.scope, 'admin');
  t.same(tokens[0]!.sha256, hashToken('alpha'));
});

t.test('rejects malformed entries without echoing them', async (t) => {
  for (const bad of ['sha256:abc', 'md5:' + 'a'.repeat(64), 'plain-token', 'admin:' + 'a'.repeat(64), 'sha256:' + 'g'.repeat(64)]) {
    t.throws(() => parseApiTokens(bad), { code: 'DG_ERR_SERVER_CONFIG', message: /entry 1/ }, bad);
    try {
      parseApiTokens(bad);
    } catch (error) {
      t.notMatch((error as Error).message, bad, 'message does not echo the entry');
    }
  }
  t.same(parseApiTokens(undefined), []);
  t.same(parseApiTokens('  '), []);
});

t.test('scopeOfToken: exact match only, admin wins', async (t) => {
  const tokens = parseApiTokens([tokenHashEntry('d1'), tokenHashEntry('a1', 'admin'), tokenHashEntry('both'), tokenHashEntry('both', 'admin')].join(','));
  const table: [string, string | undefined][] = [
    ['d1', 'decide'],
    ['a1', 'admin'],
    ['both', 'admin'],
    ['d2', undefined],
    ['D1', undefined],
    ['d1 ', undefined],
    ['', undefined],
  ];
  for (const [presented, expected] of table) t.equal(scopeOfToken(tokens, presented), expected, JSON.stringify(presented));
});

t.test('generated tokens are random and long', async (t) => {
  const a = generateToken();
  const b = generateToken();
  t.not(a, b);
  t.ok(a.length >= 40);
});

t.test('named entries: NAME= prefix, old syntax still valid, names default to the position', async (t) => {
  const entries = [tokenHashEntry('a', 'decide', 'proxy-1'), tokenHashEntry('b', 'admin', 'ops@contoso'), tokenHashEntry('c'), `decide:${tokenHashEntry('d')}`];
  t.equal(entries[0], `proxy-1=${tokenHashEntry('a')}`);
  const tokens = parseApiTokens(entries.join(','));
  t.same(
    tokens.map((x) => [x.name, x.scope]),
    [
      ['proxy-1', 'decide'],
      ['ops@contoso', 'admin'],
      ['token#3', 'decide'],
      ['token#4', 'decide'],
    ],
  );
  t.equal(callerOfToken(tokens, 'b')?.name, 'ops@contoso');
  t.equal(callerOfToken(tokens, 'zz'), undefined);
  for (const bad of [`=${tokenHashEntry('a')}`, `a b=${tokenHashEntry('a')}`, `x:y=${tokenHashEntry('a')}`]) {
    t.throws(() => parseApiTokens(bad), { code: 'DG_ERR_SERVER_CONFIG' }, bad);
  }
  t.throws(() => tokenHashEntry('a', 'decide', 'bad,name'), { code: 'DG_ERR_SERVER_CONFIG' });
});

t.test('TokenVerifier: answers as callerOfToken, remembers only tokens that matched, never more than are configured', async (t) => {
  const tokens = parseApiTokens([tokenHashEntry('d1', 'decide', 'farm'), tokenHashEntry('a1', 'admin', 'ops'), tokenHashEntry('both'), tokenHashEntry('both', 'admin')].join(','));
  const verifier = new TokenVerifier(tokens);
  const presented = ['d1', 'a1', 'both', 'd1 ', 'D1', '', 'zz', 'a1'];
  for (let round = 0; round < 3; round++) {
    for (const p of presented) t.equal(verifier.callerOf(p), callerOfToken(tokens, p), `round ${round}: ${JSON.stringify(p)}`);
  }
  t.equal(verifier.remembered, 3, 'the three tokens that matched');
  // 10,000 wrong tokens later nothing more is remembered, and the right ones still answer.
  let accepted = 0;
  for (let i = 0; i < 10_000; i++) if (verifier.callerOf(`wrong-${i}`) !== undefined) accepted++;
  t.equal(accepted, 0, 'no wrong token accepted');
  t.equal(verifier.remembered, 3);
  t.equal(verifier.callerOf('a1')?.scope, 'admin');
  t.equal(verifier.callerOf('both')?.scope, 'admin');
  t.equal(verifier.callerOf('d1')?.name, 'farm');
  t.equal(new TokenVerifier([]).callerOf('d1'), undefined, 'no tokens: nothing matches');
});
