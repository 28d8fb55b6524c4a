// The webhook's pure parts: Go durations as client-go writes the timeout, pins, image fields of
// malformed or oversized objects, exclusions from flags and files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_IMAGE_FIELDS, checkExclusions, exclusionsFromConfig, imageFields, parseGoDuration, pinnedImage } from '../../../src/admission/index.js';
import { ExclusionMatcher } from '../../../src/admission/exclusions.js';

const POD = { group: '', version: 'v1', kind: 'Pod' };

test('Go durations: what client-go sends as ?timeout=', () => {
  assert.equal(parseGoDuration('10s'), 10_000);
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('500ms'), 500);
  for (const bad of ['', '10', 's', '-1s', '1d', '10 s']) assert.equal(parseGoDuration(bad), undefined, bad);
});

test('pins: the text as written with the digest; latest made explicit; a digest already there is kept', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  assert.equal(pinnedImage('nginx:1.25', d), `nginx:1.25@${d}`);
  assert.equal(pinnedImage('nginx', d), `nginx:latest@${d}`);
  assert.equal(pinnedImage('localhost:5000/app', d), `localhost:5000/app:latest@${d}`);
  assert.equal(pinnedImage(`nginx:1.25@${d}`, d), undefined);
});

test('image fields: every list with its pointer; templates may leave the image out; malformed and oversized objects are refused', () => {
  const fields = imageFields(POD, { spec: { initContainers: [{ name: 'i', image: 'a' }], containers: [{ name: 'c' }, { name: 'd', image: 'b' }], ephemeralContainers: [{ name: 'e', image: 'c' }] } });
  assert.deepEqual(fields?.map((f) => [f.pointer, f.list, f.container, f.image]), [
    ['/spec/initContainers/0/image', 'initContainers', 'i', 'a'],
    ['/spec/containers/1/image', 'containers', 'd', 'b'],
    ['/spec/ephemeralContainers/0/image', 'ephemeralContainers', 'e', 'c'],
  ]);
  assert.throws(() => imageFields(POD, { spec: { containers: [{ image: 42 }] } }), /containers\[0\]\.image is not a string/);
  assert.throws(() => imageFields(POD, { spec: { containers: 'x' } }), /spec\.containers is not a list/);
  const many = Array.from({ length: MAX_IMAGE_FIELDS + 1 }, (_, i) => ({ name: `c${i}`, image: 'x' }));
  assert.throws(() => imageFields(POD, { spec: { containers: many } }), (e: Error & { code?: string }) => e.code === 'TOO_LARGE');
  assert.equal(imageFields({ group: 'example.com', version: 'v1', kind: 'Widget' }, {}), undefined);
});

test('exclusions: namespace patterns, repository patterns, and a configuration file', () => {
  const m = new ExclusionMatcher(checkExclusions({ namespaces: ['kube-*', 'tools'], images: ['registry.k8s.io/**'] }, 'flags'));
  assert.equal(m.namespace('kube-system'), true);
  assert.equal(m.namespace('tools'), true);
  assert.equal(m.namespace('toolsx'), false);
  assert.equal(m.namespace(undefined), false);
  assert.equal(m.image('registry.k8s.io/pause'), true);
  assert.equal(m.image('docker.io/library/nginx'), false);
  assert.throws(() => checkExclusions({ namespaces: ['Kube_System'], images: [] }, 'flags'), /"Kube_System" is not a namespace name or pattern/);
  assert.throws(() => checkExclusions({ namespaces: [], images: ['registry.k8s.io/pause:3.9'] }, 'flags'), /is not a repository pattern/);
  assert.deepEqual(exclusionsFromConfig({ excludeNamespaces: ['a'], excludeImages: ['docker.io/**'] }, 'f.yaml'), { namespaces: ['a'], images: ['docker.io/**'] });
  assert.throws(() => exclusionsFromConfig({ excludeNamespace: ['a'] }, 'f.yaml'), /f\.yaml: unknown key "excludeNamespace"/);
  assert.throws(() => exclusionsFromConfig({ excludeImages: 'docker.io/**' }, 'f.yaml'), /excludeImages must be a list of strings/);
});
