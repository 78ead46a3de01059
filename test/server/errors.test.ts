import t from 'tap';
import { mapError, SERVER_ERRORS, ServerError, validationError } from '../../src/server/errors.js';

t.test('every catalogue code maps to its own status and body', async (t) => {
  for (const [code, { statusCode }] of Object.entries(SERVER_ERRORS)) {
    const mapped = mapError(new ServerError(code as keyof typeof SERVER_ERRORS, 'm', 'f'));
    t.equal(mapped.statusCode, statusCode, code);
    t.equal(mapped.body.error.code, code);
  }
});

t.test('coded errors from other folders keep code, status and field', async (t) => {
  const e = Object.assign(new Error('no relying party "x"'), { code: 'DG_ERR_POLICY_UNKNOWN_RELYING_PARTY', statusCode: 404, field: 'relyingParty' });
  t.same(mapError(e), { statusCode: 404, body: { error: { code: 'DG_ERR_POLICY_UNKNOWN_RELYING_PARTY', message: 'no relying party "x"', field: 'relyingParty' } }, unexpected: false });
  const unavailable = Object.assign(new Error('directory unavailable'), { code: 'DG_ERR_POLICY_DIRECTORY_UNAVAILABLE', statusCode: 503 });
  t.equal(mapError(unavailable).statusCode, 503);
});

t.test('5xx coded errors and unknown errors never leak their text', async (t) => {
  const secret = 'ldap://dc1 bind CN=svc password hunter2 at Client._send (/x/y.js:1:2)';
  for (const error of [
    Object.assign(new Error(secret), { code: 'DG_ERR_POLICY_LOAD', statusCode: 500 }),
    new Error(secret),
    new TypeError(secret),
    'a string',
    undefined,
  ]) {
    const mapped = mapError(error);
    t.equal(mapped.statusCode, 500);
    t.equal(mapped.unexpected, true);
    t.same(mapped.body, { error: { code: 'DG_ERR_SERVER_INTERNAL', message: 'internal error' } });
  }
});

t.test('fastify client errors keep their 4xx under our codes', async (t) => {
  const table: [string, number, number, string][] = [
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413, 'DG_ERR_SERVER_BODY_TOO_LARGE'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'DG_ERR_SERVER_UNSUPPORTED_MEDIA_TYPE'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, 'DG_ERR_SERVER_INVALID_REQUEST'],
  ];
  for (const [code, status, expected, ours] of table) {
    const mapped = mapError(Object.assign(new Error('x'), { code, statusCode: status }));
    t.equal(mapped.statusCode, expected, code);
    t.equal(mapped.body.error.code, ours, code);
  }
});

t.test('validation errors name the field', async (t) => {
  const table: [object, string, string, string][] = [
    [{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'bogus' } }, 'bogus', 'DG_ERR_SERVER_UNKNOWN_FIELD', 'unknown field "bogus"'],
    [{ instancePath: '/device', keyword: 'additionalProperties', params: { additionalProperty: 'x' } }, 'device.x', 'DG_ERR_SERVER_UNKNOWN_FIELD', 'device.x'],
    [{ instancePath: '', keyword: 'required', params: { missingProperty: 'relyingParty' } }, 'relyingParty', 'DG_ERR_SERVER_INVALID_REQUEST', 'missing'],
    [{ instancePath: '/claims/0/value', keyword: 'type', message: 'must be string' }, 'claims.0.value', 'DG_ERR_SERVER_INVALID_REQUEST', 'must be string'],
    [{ instancePath: '/device', keyword: 'maxProperties', message: 'x' }, 'device', 'DG_ERR_SERVER_INVALID_REQUEST', 'exactly one'],
  ];
  for (const [ajv, field, code, message] of table) {
    const e = validationError([ajv], 'body');
    t.equal(e.field, field);
    t.equal(e.code, code);
    t.match(e.message, message);
  }
  t.equal(validationError([{ instancePath: '', keyword: 'type', message: 'must be object' }], 'body').field, 'body');
});
