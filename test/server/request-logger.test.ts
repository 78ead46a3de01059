import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loggerOptions } from '../../src/server/index.js';
import { lazyChildLoggerFactory } from '../../src/server/lazy-child-logger.js';
import { ADMIN, DECIDE, fixtureApp } from './fixture-app.js';

const json = { ...DECIDE, 'content-type': 'application/json' };
const PAYROLL = 'https://payroll.contoso.com/';

/** A pino logger writing JSON lines to an array, counting the children made from it. */
function captured(level: string): { logger: pino.Logger; lines: Record<string, unknown>[]; children: () => number } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino(loggerOptions(level), sink);
  let children = 0;
  // Children inherit this method (pino children are made with Object.create(parent)): keep `this`.
  const child = logger.child;
  logger.child = function (this: pino.Logger, ...args: Parameters<typeof child>) {
    children++;
    return child.apply(this, args);
  } as typeof logger.child;
  return { logger, lines, children: () => children };
}

const cases: { level: string; requestLines: boolean }[] = [
  { level: 'warn', requestLines: false },
  { level: 'info', requestLines: true },
];

for (const { level, requestLines } of cases) {
  t.test(`level ${level}: request log lines ${requestLines ? 'carry the reqId' : 'are skipped and no child logger is made'}`, async (t) => {
    const { logger, lines, children } = captured(level);
    const { app } = await fixtureApp(t, { logger });
    const before = children();
    const res = await app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ relyingParty: PAYROLL }) });
    t.equal(res.statusCode, 200, res.body);
    const reqLines = lines.filter((l) => l['msg'] === 'incoming request' || l['msg'] === 'request completed');
    if (requestLines) {
      t.equal(reqLines.length, 2, 'incoming + completed');
      t.ok(reqLines.every((l) => typeof l['reqId'] === 'string' && l['reqId'] === reqLines[0]!['reqId']), 'both carry the same reqId');
      t.equal(children() - before, 1, 'one child for the request');
    } else {
      t.equal(reqLines.length, 0);
      t.equal(children() - before, 0, 'no child made when nothing is logged');
    }
  });
}

t.test('at level warn, what the service logs about a request still carries its reqId', async (t) => {
  const { logger, lines } = captured('warn');
  const { app } = await fixtureApp(t, { logger });
  // Request logging is off at warn (Fastify gets no logger); the error handler logs to the service logger.
  app.get('/probe-fail', async () => {
    throw new Error('probe failure');
  });
  const res = await app.inject({ method: 'GET', url: '/probe-fail', headers: ADMIN });
  t.equal(res.statusCode, 500);
  t.notMatch(res.body, /probe failure/, 'the cause stays in the log');
  const logged = lines.filter((l) => l['msg'] === 'unexpected error');
  t.equal(logged.length, 1);
  t.type(logged[0]!['reqId'], 'string');
  t.match(JSON.stringify(logged[0]!['err']), /probe failure/);
  t.equal(lines.filter((l) => l['msg'] === 'incoming request' || l['msg'] === 'request completed').length, 0, 'no request lines at warn');
});

t.test('lazy child: level, child, bindings and isLevelEnabled behave like the real child', async (t) => {
  const { logger, lines } = captured('info');
  const lazy = lazyChildLoggerFactory(logger, { reqId: 'r-1' }, {}) as ReturnType<typeof lazyChildLoggerFactory> & {
    isLevelEnabled(l: string): boolean;
    bindings(): Record<string, unknown>;
  };
  t.equal(lazy.level, 'info');
  t.equal(lazy.isLevelEnabled('debug'), false);
  t.equal(lazy.isLevelEnabled('info'), true);
  lazy.level = 'debug';
  t.equal(lazy.level, 'debug', 'a level set on the child sticks to the child');
  t.equal(logger.level, 'info', 'and leaves the parent alone');
  lazy.debug('deep');
  t.equal(lines.at(-1)?.['msg'], 'deep');
  t.equal(lines.at(-1)?.['reqId'], 'r-1');
  t.same(lazy.bindings(), { reqId: 'r-1' });
  lazy.child({ extra: 1 }).info('grandchild');
  t.match(lines.at(-1), { msg: 'grandchild', reqId: 'r-1', extra: 1 });
  const eager = lazyChildLoggerFactory(logger, { reqId: 'r-2' }, { level: 'error' });
  t.equal(eager.level, 'error', 'a route log level makes a real child at once');
});

t.test('level info: "request completed" names the caller (the token entry name), never the token', async (t) => {
  const { logger, lines } = captured('info');
  const { parseApiTokens, tokenHashEntry } = await import('../../src/server/index.js');
  const { app } = await fixtureApp(t, { logger, auth: { tokens: parseApiTokens(tokenHashEntry('named-token-secret', 'decide', 'proxy-7')) } });
  const res = await app.inject({ method: 'POST', url: '/v1/decisions', headers: { authorization: 'Bearer named-token-secret', 'content-type': 'application/json' }, payload: JSON.stringify({ relyingParty: PAYROLL }) });
  t.equal(res.statusCode, 200, res.body);
  const completed = lines.find((l) => l['msg'] === 'request completed');
  t.equal(completed?.['caller'], 'proxy-7');
  t.notOk(JSON.stringify(lines).includes('named-token-secret'), 'the token is in no log line');
});
