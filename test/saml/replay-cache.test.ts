import t from 'tap';
import { ReplayCache } from '../../src/saml/index.js';

const at = (iso: string): Date => new Date(iso);
const token = (id: string, until = '2030-01-01T00:00:00Z', issuer = 'http://adfs.contoso.com/adfs/services/trust') => ({ issuer, assertionId: id, usableUntil: at(until) });

t.test('an assertion is accepted once per issuer and ID', async (t) => {
  const cache = new ReplayCache({ max: 10 });
  const now = at('2026-01-01T00:00:00Z');
  cache.use(token('_a'), now);
  t.throws(() => cache.use(token('_a'), now), { code: 'DG_ERR_SAML_REPLAYED', field: 'samlToken', statusCode: 400 });
  cache.use(token('_b'), now);
  cache.use(token('_a', undefined, 'http://other/'), now); // another issuer's ID space
  t.equal(cache.size, 3);
});

t.test('remembered until the assertion could not pass its time checks anyway (skew included)', async (t) => {
  const cache = new ReplayCache({ max: 10, clockSkewSec: 60 });
  cache.use(token('_a', '2026-01-01T01:00:00Z'), at('2026-01-01T00:00:00Z'));
  t.throws(() => cache.use(token('_a', '2026-01-01T01:00:00Z'), at('2026-01-01T01:00:59Z')), { code: 'DG_ERR_SAML_REPLAYED' }, 'within the skew');
  t.doesNotThrow(() => cache.use(token('_a', '2026-01-01T01:00:00Z'), at('2026-01-01T01:01:00Z')), 'past it, the time checks refuse it instead');
});

t.test('bounded: the least recently used is forgotten', async (t) => {
  const cache = new ReplayCache({ max: 2 });
  const now = at('2026-01-01T00:00:00Z');
  for (const id of ['_1', '_2', '_3']) cache.use(token(id), now);
  t.equal(cache.size, 2);
  t.doesNotThrow(() => cache.use(token('_1'), now), 'the oldest was dropped');
  t.throws(() => cache.use(token('_3'), now), { code: 'DG_ERR_SAML_REPLAYED' });
});
