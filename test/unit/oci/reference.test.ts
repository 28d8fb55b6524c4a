import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunOf, parseReference } from '../../../src/oci/reference.js';
import { isSchema1, parseManifest } from '../../../src/oci/manifest.js';
import { isVouchError } from '../../../src/core/index.js';

const D = 'sha256:' + 'ab'.repeat(32);

test('references normalise as docker does', () => {
  const cases: [string, object, string][] = [
    ['alpine', { registry: 'docker.io', repository: 'library/alpine' }, 'docker.io/library/alpine'],
    ['alpine:3.19', { registry: 'docker.io', repository: 'library/alpine', tag: '3.19' }, 'docker.io/library/alpine'],
    ['team/app:v1', { registry: 'docker.io', repository: 'team/app', tag: 'v1' }, 'docker.io/team/app'],
    ['127.0.0.1:5000/demo/app:1.0', { registry: '127.0.0.1:5000', repository: 'demo/app', tag: '1.0' }, '127.0.0.1:5000/demo/app'],
    ['localhost/app', { registry: 'localhost', repository: 'app' }, 'localhost/app'],
    ['registry.example.com:5000/team/app@' + D, { registry: 'registry.example.com:5000', repository: 'team/app', digest: D }, 'registry.example.com:5000/team/app'],
    ['index.docker.io/library/busybox:1', { registry: 'docker.io', repository: 'library/busybox', tag: '1' }, 'docker.io/library/busybox'],
    ['[::1]:5000/a/b:t', { registry: '[::1]:5000', repository: 'a/b', tag: 't' }, '[::1]:5000/a/b'],
    ['ghcr.io/a__b/c-d.e:x_y', { registry: 'ghcr.io', repository: 'a__b/c-d.e', tag: 'x_y' }, 'ghcr.io/a__b/c-d.e'],
  ];
  for (const [input, want, gun] of cases) {
    const ref = parseReference(input);
    assert.deepEqual(ref, want, input);
    assert.equal(gunOf(ref), gun, input);
  }
});

test('invalid references are refused with a reason', () => {
  for (const bad of ['', 'upper/CASE', 'docker.io/Library/x', 'a/b:', 'a/b:-tag', 'a//b', 'a/b@sha256:123', 'a/b:' + 'x'.repeat(129), 'a/../b', 'a/b c', 'bad_host:5000x/a']) {
    assert.throws(() => parseReference(bad), (e) => isVouchError(e, 'INVALID_ARGUMENT'), bad);
  }
});


test('the OCI format layer: schema 1 is recognised by version, declared type or served type, and refused by name', () => {
  assert.equal(isSchema1({ schemaVersion: 1 }), true);
  assert.equal(isSchema1({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws' }), true);
  assert.equal(isSchema1({ schemaVersion: 2 }, 'application/vnd.docker.distribution.manifest.v1+json'), true);
  assert.equal(isSchema1({ schemaVersion: 2 }, 'application/vnd.oci.image.manifest.v1+json'), false);
  assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":2}'), 'application/vnd.docker.distribution.manifest.v1+json'), /schema 1 manifests are not supported/);
  assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:' + 'a'.repeat(64) + '","size":1},"layers":[]}'), undefined, { maxBytes: 10 }), /manifest/);
});
