import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
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
