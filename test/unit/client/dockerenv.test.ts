import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contentTrustEnabled, credentialsFor, dockerConfigDir, tlsFor, trustDirOf, trustServerFor } from '../../../src/client/dockerenv.js';
import { isVouchError } from '../../../src/core/index.js';

test('DOCKER_CONTENT_TRUST follows docker: true values and non-bools enable it', () => {
  for (const v of ['1', 'true', 'TRUE', 't', 'yes', 'on']) assert.equal(contentTrustEnabled({ DOCKER_CONTENT_TRUST: v }), true, v);
  for (const v of [undefined, '', '0', 'false', 'F']) assert.equal(contentTrustEnabled({ DOCKER_CONTENT_TRUST: v }), false, String(v));
});

test('trust server: explicit https, Docker Hub, registry host; http only on loopback', () => {
  assert.equal(trustServerFor('docker.io', {}), 'https://notary.docker.io');
  assert.equal(trustServerFor('registry.example.com:5000', {}), 'https://registry.example.com:5000');
  assert.equal(trustServerFor('x', { DOCKER_CONTENT_TRUST_SERVER: 'https://notary.example/' }), 'https://notary.example');
  assert.equal(trustServerFor('x', { DOCKER_CONTENT_TRUST_SERVER: 'http://127.0.0.1:4443' }), 'http://127.0.0.1:4443');
  assert.throws(() => trustServerFor('x', { DOCKER_CONTENT_TRUST_SERVER: 'http://notary.example' }), (e) => isVouchError(e, 'CONFIG'));
  assert.throws(() => trustServerFor('x', { DOCKER_CONTENT_TRUST_SERVER: 'not a url' }), (e) => isVouchError(e, 'CONFIG'));
});

test('paths and credentials from DOCKER_CONFIG', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vouch-dockerenv-'));
  const env = { DOCKER_CONFIG: dir };
  assert.equal(dockerConfigDir(env), dir);
  assert.equal(trustDirOf(env), join(dir, 'trust'));
  assert.equal(dockerConfigDir({ HOME: '/home/x' }), '/home/x/.docker');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    auths: {
      '127.0.0.1:5000': { auth: Buffer.from('testuser:test:pass').toString('base64') },
      'https://index.docker.io/v1/': { identitytoken: 'refresh-me' },
      'ghcr.io': { username: 'u', password: 'p' },
    },
  }));
  assert.deepEqual(credentialsFor('127.0.0.1:5000', env), { username: 'testuser', password: 'test:pass' });
  assert.deepEqual(credentialsFor('docker.io', env), { identityToken: 'refresh-me' });
  assert.deepEqual(credentialsFor('ghcr.io', env), { username: 'u', password: 'p' });
  assert.equal(credentialsFor('other.example', env), undefined);
});

test('credential helpers: credHelpers per registry, then credsStore; <token> is an identity token; a failing helper falls back to auths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vouch-credhelper-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // docker's helper protocol: `get` with the server URL on stdin, {ServerURL, Username, Secret} on stdout
  writeFileSync(join(bin, 'docker-credential-vouchtest'), `#!/bin/sh
read server
case "$server" in
  registry.example.com) echo '{"ServerURL":"registry.example.com","Username":"helper-user","Secret":"helper-secret"}' ;;
  token.example.com) echo '{"ServerURL":"token.example.com","Username":"<token>","Secret":"refresh-token"}' ;;
  *) echo "credentials not found in native keychain" >&2; exit 1 ;;
esac
`);
  chmodSync(join(bin, 'docker-credential-vouchtest'), 0o755);
  const env = { DOCKER_CONFIG: dir };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    credsStore: 'vouchtest',
    credHelpers: { 'per-registry.example.com': 'missing-helper' },
    auths: { 'fallback.example.com': { auth: Buffer.from('file-user:file-pass').toString('base64') }, 'per-registry.example.com': { username: 'a', password: 'b' } },
  }));
  const path = process.env.PATH;
  process.env.PATH = `${bin}${delimiter}${path ?? ''}`;
  try {
    assert.deepEqual(credentialsFor('registry.example.com', env), { username: 'helper-user', password: 'helper-secret' });
    assert.deepEqual(credentialsFor('token.example.com', env), { identityToken: 'refresh-token' });
    assert.deepEqual(credentialsFor('fallback.example.com', env), { username: 'file-user', password: 'file-pass' }, 'the helper has none: auths');
    assert.deepEqual(credentialsFor('per-registry.example.com', env), { username: 'a', password: 'b' }, 'a helper that is not installed: auths');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ credsStore: '../evil' }));
    assert.throws(() => credentialsFor('registry.example.com', env), (e) => isVouchError(e, 'CONFIG'));
  } finally {
    process.env.PATH = path;
  }
});

test('per-host TLS material: CAs and a client certificate pair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vouch-dockerenv-'));
  const host = join(dir, 'tls', 'notary.example:4443');
  mkdirSync(host, { recursive: true });
  writeFileSync(join(host, 'ca.crt'), 'CA1');
  writeFileSync(join(host, 'client.cert'), 'CERT');
  writeFileSync(join(host, 'client.key'), 'KEY');
  const tls = tlsFor('notary.example:4443', { DOCKER_CONFIG: dir }, []);
  assert.deepEqual(tls.ca?.map(String), ['CA1']);
  assert.equal(String(tls.cert), 'CERT');
  assert.equal(String(tls.key), 'KEY');
  writeFileSync(join(host, 'other.cert'), 'C2');
  const lone = join(dir, 'tls', 'lone');
  mkdirSync(lone);
  writeFileSync(join(lone, 'x.cert'), 'C');
  assert.throws(() => tlsFor('lone', { DOCKER_CONFIG: dir }, []), (e) => isVouchError(e, 'CONFIG'));
  assert.deepEqual(tlsFor('absent', { DOCKER_CONFIG: dir }, []), {});
});
