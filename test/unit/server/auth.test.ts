// Token auth as notary-server (docker/distribution's token access controller) accepts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { base64url } from 'jose';
import { libtrustKeyId, parseScope, scopeParam, buildAccess } from '../../../src/server/index.js';
import { START, TestRepo, errorOf, multipart, newServer, post } from './helpers.js';
import { ISSUER, NOW_S, SERVICE, makeCert, token as tokenFor, type Cert, type Claims } from './tokens.js';
import { inject } from '../../support/inject.js';

const GUN = 'registry.example.com:5000/team/app';
const REALM = 'https://auth.example.com/token';

const token = (signer: Cert, claims: Claims = {}, header: Record<string, unknown> | 'x5c' = 'x5c', chain: Cert[] = [signer]): Promise<string> =>
  tokenFor(GUN, signer, claims, header, chain);

async function fixture() {
  const root = await makeCert({ cn: 'token-root', ca: false });
  const ca = await makeCert({ cn: 'token-ca', ca: true });
  const leaf = await makeCert({ cn: 'token-leaf', ca: false, issuer: ca });
  const logs: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const t = newServer({ auth: { realm: REALM, service: SERVICE, issuer: ISSUER, rootCertBundle: root.pem + ca.pem }, logger: { level: 'debug', stream } as never });
  return { t, root, ca, leaf, logs };
}

const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });

test('no token: 401 with the Bearer challenge and the UNAUTHORIZED body listing the required access', async () => {
  const { t } = await fixture();
  const r = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json` });
  assert.equal(r.statusCode, 401);
  assert.equal(r.headers['www-authenticate'], `Bearer realm="${REALM}",service="${SERVICE}",scope="repository:${GUN}:pull"`);
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(r.body, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Class":"","Name":"${GUN}","Action":"pull"}]}]}\n`);
});

test('challenge scopes per route, exactly as the spec table', async () => {
  const { t } = await fixture();
  const mp = multipart([{ filename: 'root', data: '{}' }]);
  const cases: [string, string, string][] = [
    ['GET', `/v2/${GUN}/_trust/tuf/root.json`, `repository:${GUN}:pull`],
    ['GET', `/v2/${GUN}/_trust/tuf/2.root.json`, `repository:${GUN}:pull`],
    ['GET', `/v2/${GUN}/_trust/tuf/root.${'a'.repeat(64)}.json`, `repository:${GUN}:pull`],
    ['GET', `/v2/${GUN}/_trust/changefeed?records=1`, `repository:${GUN}:pull`],
    ['POST', `/v2/${GUN}/_trust/tuf/`, `repository:${GUN}:pull,push`],
    ['GET', `/v2/${GUN}/_trust/tuf/timestamp.key`, `repository:${GUN}:push,pull`],
    ['POST', `/v2/${GUN}/_trust/tuf/snapshot.key`, `repository:${GUN}:*`],
    ['DELETE', `/v2/${GUN}/_trust/tuf/`, `repository:${GUN}:*`],
    ['GET', '/v2/', 'registry:catalog:*'],
    ['GET', '/v2/_trust/changefeed?records=1', 'registry:catalog:*'],
    ['GET', '/unknown/path', 'registry:catalog:*'],
  ];
  for (const [method, url, scope] of cases) {
    const r = await inject(t.app, { method: method as 'GET', url, payload: method === 'POST' ? mp.body : undefined, headers: method === 'POST' ? { 'content-type': mp.contentType } : {} });
    assert.equal(r.statusCode, 401, `${method} ${url}`);
    assert.equal(r.headers['www-authenticate'], `Bearer realm="${REALM}",service="${SERVICE}",scope="${scope}"`, `${method} ${url}`);
  }
  for (const url of ['/_notary_server/health', '/metrics']) assert.equal((await inject(t.app, { method: 'GET', url })).statusCode, 200, url);
  const keys = await t.store.keys.listKeys(GUN, 'timestamp');
  assert.equal(keys.length, 0, 'an unauthorised GET .key creates no key');
});

test('a valid x5c token (self-signed root in the bundle, or a leaf chaining to a CA) is accepted; a full publish works', async () => {
  const { t, root, ca, leaf } = await fixture();
  const direct = await token(root, { access: [{ type: 'repository', name: GUN, actions: ['pull', 'push'] }] });
  const r = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json`, headers: bearer(direct) });
  assert.equal(r.statusCode, 404, 'authorised, then not found');
  const chained = await token(leaf, {}, 'x5c', [leaf]);
  assert.equal((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.key`, headers: bearer(chained) })).statusCode, 200);
  const withIntermediate = await token(leaf, {}, 'x5c', [leaf, ca]);
  assert.equal((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/snapshot.key`, headers: bearer(withIntermediate) })).statusCode, 200);

  // the whole init flow with the token
  const repo = await TestRepo.create(t, GUN, { headers: bearer(direct) });
  const p = await post(t.app, GUN, await repo.initParts(t.clock.now()), bearer(direct));
  assert.equal(p.statusCode, 200, p.body);
});

test('insufficient scope: 401 with error="insufficient_scope"; "*" grants everything for its repository', async () => {
  const { t, root } = await fixture();
  const pullOnly = await token(root, { access: [{ type: 'repository', name: GUN, actions: ['pull'] }] });
  const mp = multipart([{ filename: 'root', data: '{}' }]);
  const r = await inject(t.app, { method: 'POST', url: `/v2/${GUN}/_trust/tuf/`, payload: mp.body, headers: { 'content-type': mp.contentType, ...bearer(pullOnly) } });
  assert.equal(r.statusCode, 401);
  assert.equal(r.headers['www-authenticate'], `Bearer realm="${REALM}",service="${SERVICE}",scope="repository:${GUN}:pull,push",error="insufficient_scope"`);
  // the detail lists push before pull, as notary-server does (seen on the wire)
  assert.deepEqual(errorOf(r).detail, [
    { Type: 'repository', Class: '', Name: GUN, Action: 'push' },
    { Type: 'repository', Class: '', Name: GUN, Action: 'pull' },
  ]);
  const pushPull = await token(root);
  assert.equal((await inject(t.app, { method: 'DELETE', url: `/v2/${GUN}/_trust/tuf/`, headers: bearer(pushPull) })).statusCode, 401, 'DELETE needs *');
  const star = await token(root, { access: [{ type: 'repository', name: GUN, actions: ['*'] }] });
  assert.equal((await inject(t.app, { method: 'DELETE', url: `/v2/${GUN}/_trust/tuf/`, headers: bearer(star) })).statusCode, 200);
  assert.equal((await inject(t.app, { method: 'POST', url: `/v2/${GUN}/_trust/tuf/timestamp.key`, headers: bearer(star) })).statusCode, 200);
  assert.equal((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json`, headers: bearer(star) })).statusCode, 404);
  // another repository's rights do not count, nor does a name differing only by the port
  const other = await token(root, { access: [{ type: 'repository', name: 'registry.example.com/team/app', actions: ['*'] }] });
  assert.equal((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json`, headers: bearer(other) })).statusCode, 401);
  // catalog
  const catalog = await token(root, { access: [{ type: 'registry', name: 'catalog', actions: ['*'] }] });
  assert.equal((await inject(t.app, { method: 'GET', url: '/v2/', headers: bearer(catalog) })).statusCode, 200);
  assert.equal((await inject(t.app, { method: 'GET', url: '/v2/_trust/changefeed?records=1', headers: bearer(catalog) })).statusCode, 200);
  assert.equal((await inject(t.app, { method: 'GET', url: '/v2/', headers: bearer(pushPull) })).statusCode, 401);
});

test('refused tokens: expired, not yet valid, wrong issuer, wrong audience, unsigned, untrusted signer, bad chain, garbage', async () => {
  const { t, root, ca } = await fixture();
  const stranger = await makeCert({ cn: 'stranger', ca: false });
  const expiredLeaf = await makeCert({ cn: 'old-leaf', ca: false, issuer: ca, notBefore: new Date(START.getTime() - 10 * 86400_000), notAfter: new Date(START.getTime() - 86400_000) });
  const caSignedNonCa = await makeCert({ cn: 'non-ca-issuer', ca: false });
  const leafOfNonCa = await makeCert({ cn: 'leaf2', ca: false, issuer: caSignedNonCa });
  const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
  const claims = base64url.encode(JSON.stringify({ iss: ISSUER, aud: SERVICE, exp: NOW_S + 300, access: [{ type: 'repository', name: GUN, actions: ['pull'] }] }));
  const cases: [string, string][] = [
    ['expired beyond the leeway', await token(root, { exp: NOW_S - 61 })],
    ['no exp', await token(root, { exp: undefined })],
    ['not valid yet', await token(root, { nbf: NOW_S + 61 })],
    ['wrong issuer', await token(root, { iss: 'someone-else' })],
    ['wrong audience', await token(root, { aud: 'registry' })],
    ['audience list without us', await token(root, { aud: ['registry', 'other'] })],
    ['alg none', `${header}.${claims}.`],
    ['alg none with a fake signature', `${header}.${claims}.AAAA`],
    ['untrusted self-signed cert', await token(stranger)],
    ['expired leaf certificate', await token(expiredLeaf, {}, 'x5c', [expiredLeaf])],
    ['issuer is not a CA', await token(leafOfNonCa, {}, 'x5c', [leafOfNonCa, caSignedNonCa])],
    ['x5c of the root, signed by another key', await token(stranger, {}, 'x5c', [root])],
    ['unknown kid', await token(root, {}, { kid: 'AAAA:BBBB:CCCC:DDDD:EEEE:FFFF:GGGG:HHHH:IIII:JJJJ:KKKK:LLLL' })],
    ['jwk not in the bundle', await token(stranger, {}, { jwk: stranger.key.export({ format: 'jwk' }) })],
    ['no key reference at all', await token(root, {}, {})],
    ['garbage', 'not.a.token'],
    ['two parts', 'abc.def'],
  ];
  for (const [name, tok] of cases) {
    const r = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json`, headers: bearer(tok) });
    assert.equal(r.statusCode, 401, name);
    assert.match(r.headers['www-authenticate'] as string, /,error="invalid_token"$/, name);
    assert.equal(errorOf(r).code, 'UNAUTHORIZED', name);
  }
  for (const h of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer  two  spaces', `bearer ${await token(root)}`]) {
    const r = await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json`, headers: { authorization: h } });
    if (h.startsWith('bearer ')) assert.equal(r.statusCode, 404, 'the scheme is case-insensitive');
    else {
      assert.equal(r.statusCode, 401, h);
      assert.doesNotMatch(r.headers['www-authenticate'] as string, /error=/, h);
    }
  }
});

test('accepted forms: leeway on exp/nbf, audience as a list, kid and jwk naming a bundle key', async () => {
  const { t, root } = await fixture();
  const ok = async (tok: string, name: string) => assert.equal((await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json`, headers: bearer(tok) })).statusCode, 404, name);
  await ok(await token(root, { exp: NOW_S - 30 }), 'exp within 60 s');
  await ok(await token(root, { nbf: NOW_S + 30 }), 'nbf within 60 s');
  await ok(await token(root, { aud: ['registry', SERVICE] }), 'aud list');
  const { createPublicKey } = await import('node:crypto');
  const kid = libtrustKeyId(createPublicKey(root.key));
  assert.match(kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
  await ok(await token(root, {}, { kid }), 'kid');
  await ok(await token(root, {}, { jwk: createPublicKey(root.key).export({ format: 'jwk' }) }), 'jwk');
});

test('tokens and key material never reach the logs', async () => {
  const { t, root, logs } = await fixture();
  const tok = await token(root, { access: [{ type: 'repository', name: GUN, actions: ['*'] }] });
  await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/timestamp.key`, headers: bearer(tok) });
  await inject(t.app, { method: 'GET', url: `/v2/${GUN}/_trust/tuf/root.json`, headers: bearer(tok.slice(0, -4) + 'AAAA') });
  const all = logs.join('');
  assert.ok(all.length > 0, 'something was logged');
  assert.ok(!all.includes(tok.split('.')[2]!), 'no token signature in logs');
  assert.ok(!all.includes(tok.split('.')[1]!), 'no token claims in logs');
  assert.doesNotMatch(all, /PRIVATE KEY|"private":"/);
  for (const line of logs) JSON.parse(line); // structured JSON lines
});

test('scope helpers: GUNs with a port keep their colon', () => {
  assert.deepEqual(parseScope(`repository:${GUN}:pull,push`), { type: 'repository', name: GUN, actions: ['pull', 'push'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.equal(parseScope('nocolon'), undefined);
  assert.equal(scopeParam(buildAccess(GUN, ['push', 'pull'])), `repository:${GUN}:push,pull`);
  assert.equal(scopeParam(buildAccess(GUN, ['push', 'pull']), ['pull', 'push']), `repository:${GUN}:pull,push`);
  assert.equal(scopeParam(buildAccess(undefined, ['pull'])), 'registry:catalog:*');
});
