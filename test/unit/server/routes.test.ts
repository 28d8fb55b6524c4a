import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanPath, decodePath, escapePath, matchRoute } from '../../../src/server/routes.js';
import { changefeedParams, parseInt32 } from '../../../src/server/changefeed.js';
import { cacheHeaders, rfc1123, checkMaxAge } from '../../../src/server/caching.js';
import { NotaryHttpError, errorBody } from '../../../src/server/errors.js';

test('routes match as notary-server does (order, regexes, GUNs with slashes and ports)', () => {
  const g = 'registry.example.com:5000/team/app';
  const cases: [string, string, Record<string, string | undefined>][] = [
    ['GET', '/v2/', { operation: 'MainHandler' }],
    ['POST', `/v2/${g}/_trust/tuf/`, { operation: 'UpdateTUF', gun: g }],
    ['DELETE', `/v2/${g}/_trust/tuf/`, { operation: 'DeleteTUF', gun: g }],
    ['GET', `/v2/${g}/_trust/tuf/root.json`, { operation: 'GetRole', gun: g, role: 'root' }],
    ['GET', `/v2/${g}/_trust/tuf/targets/releases.json`, { operation: 'GetRole', gun: g, role: 'targets/releases' }],
    ['GET', `/v2/${g}/_trust/tuf/targets/a/b.json`, { operation: 'GetRole', gun: g, role: 'targets/a/b' }],
    ['GET', `/v2/${g}/_trust/tuf/2.root.json`, { operation: 'GetRoleByVersion', gun: g, role: 'root', version: '2' }],
    ['GET', `/v2/${g}/_trust/tuf/01.targets/releases.json`, { operation: 'GetRoleByVersion', gun: g, role: 'targets/releases', version: '01' }],
    ['GET', `/v2/${g}/_trust/tuf/0.root.json`, { operation: 'GetRoleByVersion', gun: g, role: 'root', version: '0' }],
    ['GET', `/v2/${g}/_trust/tuf/snapshot.${'a'.repeat(64)}.json`, { operation: 'GetRoleByHash', gun: g, role: 'snapshot', checksum: 'a'.repeat(64) }],
    ['GET', `/v2/${g}/_trust/tuf/targets.${'B'.repeat(128)}.json`, { operation: 'GetRoleByHash', gun: g, role: 'targets', checksum: 'B'.repeat(128) }],
    ['GET', `/v2/${g}/_trust/tuf/timestamp.key`, { operation: 'GetKey', gun: g, role: 'timestamp' }],
    ['POST', `/v2/${g}/_trust/tuf/snapshot.key`, { operation: 'RotateKey', gun: g, role: 'snapshot' }],
    ['GET', `/v2/${g}/_trust/changefeed`, { operation: 'GetChangeFeed', gun: g }],
    ['GET', '/v2/_trust/changefeed', { operation: 'GetGlobalChangeFeed' }],
    ['GET', '/_notary_server/health', { operation: 'Health' }],
    ['GET', '/metrics', { operation: 'Metrics' }],
    // not routes
    ['GET', `/v2/${g}/_trust/tuf/targets.key`, { operation: 'NotFound' }],
    ['POST', `/v2/${g}/_trust/tuf/root.key`, { operation: 'NotFound' }],
    ['GET', '/v2/a*b/_trust/tuf/root.json', { operation: 'NotFound' }],
    ['GET', `/v2/${g}/_trust/tuf/bogus.json`, { operation: 'NotFound' }],
    ['GET', `/v2/${g}/_trust/tuf/targets/a b.json`, { operation: 'NotFound' }],
    ['GET', `/v2/${g}/_trust/tuf/snapshot.${'a'.repeat(63)}.json`, { operation: 'NotFound' }],
    ['PUT', `/v2/${g}/_trust/tuf/root.json`, { operation: 'NotFound' }],
    ['HEAD', `/v2/${g}/_trust/tuf/root.json`, { operation: 'NotFound' }],
    ['POST', '/v2/', { operation: 'NotFound' }],
  ];
  for (const [method, path, want] of cases) {
    const got = matchRoute(method, path);
    for (const [k, v] of Object.entries(want)) assert.equal((got as unknown as Record<string, unknown>)[k], v, `${method} ${path}: ${k}`);
    assert.equal(got.methodNotAllowed, undefined, `${method} ${path}`);
  }
  assert.equal(matchRoute('PATCH', '/v2/').methodNotAllowed, true);
  assert.equal(matchRoute('OPTIONS', '/anything').methodNotAllowed, true);
});

test('a checksum route wins over the current-role route; a greedy GUN keeps inner _trust segments', () => {
  const m = matchRoute('GET', `/v2/a/_trust/tuf/b/_trust/tuf/root.json`);
  assert.equal(m.gun, 'a/_trust/tuf/b');
  const h = matchRoute('GET', `/v2/g/_trust/tuf/targets/x.${'c'.repeat(64)}.json`);
  assert.equal(h.operation, 'GetRoleByHash');
  assert.equal(h.role, 'targets/x');
});

test('cleanPath follows gorilla/mux (path.Clean, trailing slash kept)', () => {
  assert.equal(cleanPath('/v2/a//b/_trust/tuf/root.json'), '/v2/a/b/_trust/tuf/root.json');
  assert.equal(cleanPath('/v2/a/../b/_trust/tuf/'), '/v2/b/_trust/tuf/');
  assert.equal(cleanPath('/v2/a/./b'), '/v2/a/b');
  assert.equal(cleanPath('/../..'), '/');
  assert.equal(cleanPath(''), '/');
  assert.equal(cleanPath('/v2/'), '/v2/');
  assert.equal(cleanPath('/v2/x/_trust/tuf/root.json'), '/v2/x/_trust/tuf/root.json');
});

test('decodePath / escapePath', () => {
  assert.equal(decodePath('/v2/a%20b/x'), '/v2/a b/x');
  assert.equal(decodePath('/v2/%2e%2e/x'), '/v2/../x');
  assert.equal(decodePath('/bad%zz'), undefined);
  assert.equal(decodePath('/bad%'), undefined);
  assert.equal(escapePath('/v2/a b/ü'), '/v2/a%20b/%C3%BC');
  assert.equal(escapePath('/v2/host:5000/x'), '/v2/host:5000/x');
});

test('changefeed parameters: records required, Go strconv messages, change_id', () => {
  assert.deepEqual(changefeedParams('10', undefined), { records: 10, changeId: 0 });
  assert.deepEqual(changefeedParams('0', '5'), { records: 100, changeId: 5 });
  assert.deepEqual(changefeedParams('-3', '-1'), { records: -3, changeId: -1 });
  const err = (f: () => unknown) => { try { f(); } catch (e) { return e as NotaryHttpError; } assert.fail('no error'); };
  const e1 = err(() => changefeedParams(undefined, undefined));
  assert.equal(e1.code, 'INVALID_PARAMETERS');
  assert.equal(e1.detail, 'invalid records parameter: strconv.ParseInt: parsing "": invalid syntax');
  assert.equal(err(() => changefeedParams('x', undefined)).detail, 'invalid records parameter: strconv.ParseInt: parsing "x": invalid syntax');
  assert.equal(err(() => changefeedParams('9999999999', undefined)).detail, 'invalid records parameter: strconv.ParseInt: parsing "9999999999": value out of range');
  assert.deepEqual(err(() => changefeedParams('1', 'z')).detail, {});
  assert.deepEqual(parseInt32('+7'), { value: 7 });
  assert.ok('error' in parseInt32('1.5'));
});

test('cache headers: current, consistent, and the no-cache form for 0', () => {
  assert.deepEqual(cacheHeaders(300, true), { 'cache-control': 'public, max-age=300, s-maxage=300, must-revalidate' });
  assert.deepEqual(cacheHeaders(2592000, false), { 'cache-control': 'public, max-age=2592000, s-maxage=2592000' });
  assert.deepEqual(cacheHeaders(0, true), { 'cache-control': 'max-age=0, no-cache, no-store', pragma: 'no-cache' });
  assert.equal(rfc1123(new Date('2026-11-25T13:16:05.999Z')), 'Wed, 25 Nov 2026 13:16:05 UTC');
  assert.throws(() => checkMaxAge('current_metadata', -1));
  assert.throws(() => checkMaxAge('current_metadata', 31536001));
  assert.throws(() => checkMaxAge('current_metadata', 1.5));
  assert.equal(checkMaxAge('current_metadata', 31536000), 31536000);
});

test('error bodies are byte-identical to notary-server\'s', () => {
  assert.equal(errorBody('METADATA_NOT_FOUND', {}), '{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist.","detail":{}}]}\n');
  assert.equal(errorBody('METADATA_NOT_FOUND'), '{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist."}]}\n');
  assert.equal(errorBody('MALFORMED_UPLOAD'), '{"errors":[{"code":"MALFORMED_UPLOAD","message":"The body of your request is malformed."}]}\n');
  assert.equal(errorBody('INVALID_ROLE', 'foo'), '{"errors":[{"code":"INVALID_ROLE","message":"The role you are attempting to operate on is invalid.","detail":"foo"}]}\n');
  assert.equal(new NotaryHttpError('VERSION').status, 400);
  assert.equal(new NotaryHttpError('UNAUTHORIZED').status, 401);
  assert.equal(new NotaryHttpError('UPDATING').status, 500);
});
