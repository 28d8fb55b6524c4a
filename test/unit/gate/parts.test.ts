// The gate's parts on their own: upstream routing and its config file, what counts as runnable,
// the verdict cache, and the blob check that holds back the last bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { digestOf, isVouchError } from '../../../src/core/index.js';
import { VerdictCache, gateName, isRunnable, loadGateConfig, parseUpstreamFlag, routeName, type Upstream } from '../../../src/gate/index.js';
import { VerifyingStream } from '../../../src/oci/verify.js';
import { removeTempDirs, tempDir } from '../client/helpers.js';

test.after(removeTempDirs);

const up = (prefix: string, repository = prefix, url = 'https://r.example'): Upstream => ({ prefix, url, repository });

test('names go to the upstream of the longest matching prefix, on whole path components', () => {
  const all = up('');
  const team = up('team', 'acme/team', 'https://team.example');
  const ups = [all, team];
  assert.deepEqual(routeName(ups, 'team/app'), { upstream: team, name: 'acme/team/app' });
  assert.deepEqual(routeName(ups, 'teamx/app'), { upstream: all, name: 'teamx/app' });
  assert.equal(routeName([team], 'other/app'), undefined);
  assert.equal(gateName(team, 'acme/team/app'), 'team/app');
  assert.equal(gateName(team, 'acme/other'), undefined);
  assert.equal(gateName(all, 'library/alpine'), 'library/alpine');
});

test('--upstream takes [PREFIX=]URL; plain http only on loopback; no path, query or user info', () => {
  assert.deepEqual(parseUpstreamFlag('https://registry.example.com/'), { prefix: '', url: 'https://registry.example.com', repository: '' });
  assert.deepEqual(parseUpstreamFlag('hub=https://registry-1.docker.io'), { prefix: 'hub', url: 'https://registry-1.docker.io', repository: 'hub' });
  assert.equal(parseUpstreamFlag('http://127.0.0.1:5000').url, 'http://127.0.0.1:5000');
  for (const bad of ['http://registry.example.com', 'https://u:p@r.example', 'https://r.example/v2', 'ftp://r.example', 'Team=https://r.example']) {
    assert.throws(() => parseUpstreamFlag(bad), (err: unknown) => isVouchError(err, 'CONFIG'), bad);
  }
});

test('the config file: credentials from a file, CAs, trust server; unknown keys and two upstreams for one prefix are refused', async () => {
  const dir = await tempDir('vouch-gate-config-');
  await writeFile(join(dir, 'pw'), 's3cret\n');
  await writeFile(join(dir, 'ca.pem'), 'PEM');
  const file = join(dir, 'gate.yaml');
  await writeFile(file, 'upstreams:\n  - url: https://r.example\n    username: bot\n    passwordFile: pw\n    caFiles: [ca.pem]\n    trustServer: https://notary.example\n  - prefix: hub\n    repository: library\n    url: https://registry-1.docker.io\n');
  const [a, b] = await loadGateConfig(file);
  assert.deepEqual(a?.credentials, { username: 'bot', password: 's3cret' });
  assert.equal(a?.ca?.[0]?.toString(), 'PEM');
  assert.equal(a?.trustServer, 'https://notary.example');
  assert.deepEqual({ prefix: b?.prefix, repository: b?.repository }, { prefix: 'hub', repository: 'library' });
  for (const [text, message] of [
    ['upstreams:\n  - url: https://r.example\n    pasword: x\n', /unknown key "pasword"/],
    ['upstreams:\n  - url: https://a.example\n  - url: https://b.example\n', /two upstreams serve the prefix ''/],
    ['upstreams: []\n', /expected `upstreams:`/],
    ['upstreams:\n  - url: https://r.example\n    password: x\n', /a password needs a username/],
  ] as const) {
    await writeFile(file, text);
    await assert.rejects(loadGateConfig(file), (err: unknown) => isVouchError(err, 'CONFIG') && message.test((err as Error).message), text);
  }
});

test('runnable: images and indexes are gated; signatures, attestations and other artifacts are not; anything odd is gated', () => {
  const m = (config: string, layers: string[]): Buffer => Buffer.from(JSON.stringify({
    schemaVersion: 2, config: { mediaType: config, digest: `sha256:${'0'.repeat(64)}`, size: 2 },
    layers: layers.map((t) => ({ mediaType: t, digest: `sha256:${'1'.repeat(64)}`, size: 1 })),
  }));
  const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
  assert.equal(isRunnable(m(OCI_CONFIG, ['application/vnd.oci.image.layer.v1.tar+gzip'])), true);
  assert.equal(isRunnable(m('application/vnd.docker.container.image.v1+json', ['application/vnd.docker.image.rootfs.diff.tar.gzip'])), true);
  assert.equal(isRunnable(m(OCI_CONFIG, [])), true, 'an image config without layers is still an image');
  assert.equal(isRunnable(m(OCI_CONFIG, ['application/vnd.dev.cosign.simplesigning.v1+json'])), false, "cosign's .sig");
  assert.equal(isRunnable(m(OCI_CONFIG, ['application/vnd.dsse.envelope.v1+json'])), false, "cosign's .att");
  assert.equal(isRunnable(m(OCI_CONFIG, ['application/vnd.dev.cosign.simplesigning.v1+json', 'application/octet-stream'])), true);
  assert.equal(isRunnable(m('application/vnd.cncf.notary.signature', ['application/jose+json'])), false, 'a Notation signature');
  assert.equal(isRunnable(m('application/vnd.example+json', ['application/vnd.oci.image.layer.v1.tar'])), true, 'a filesystem layer under any config');
  assert.equal(isRunnable(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }))), true);
  assert.equal(isRunnable(Buffer.from('not json')), true);
  assert.equal(isRunnable(Buffer.from(JSON.stringify({ schemaVersion: 1, fsLayers: [] }))), true);
});

test('the verdict cache: one computation for concurrent asks, kept until expiry, bounded, failures not kept', async () => {
  let t = 1_000;
  const cache = new VerdictCache<number>(2, () => t);
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const compute = async () => { calls++; await gate; return { value: calls, expiresAt: t + 100 }; };
  const asks = [cache.get('a', compute), cache.get('a', compute), cache.get('a', compute)];
  assert.equal(cache.inFlight, 1);
  release();
  assert.deepEqual((await Promise.all(asks)).map((v) => v.value), [1, 1, 1]);
  assert.equal(calls, 1);
  assert.equal((await cache.get('a', compute)).value, 1, 'kept');
  t += 100;
  assert.equal((await cache.get('a', compute)).value, 2, 'recomputed at expiry');
  await cache.get('b', compute);
  await cache.get('c', compute);
  assert.equal(cache.size, 2);
  assert.equal(cache.peek('a'), undefined, 'the oldest entry went');
  await assert.rejects(cache.get('d', async () => { throw new Error('upstream down'); }));
  assert.equal(cache.peek('d'), undefined);
  assert.equal(cache.inFlight, 0);
  const stale = await cache.get('e', async () => ({ value: 9, expiresAt: t }));
  assert.equal(stale.value, 9);
  assert.equal(cache.peek('e'), undefined, 'an answer that is already stale is used once, never kept');
});

async function passOn(stream: VerifyingStream, chunks: Buffer[]): Promise<{ received: number; error?: unknown }> {
  let received = 0;
  const sink = new Writable({ write(c: Buffer, _e, cb) { received += c.byteLength; cb(); } });
  try {
    await pipeline(Readable.from(chunks), stream, sink);
    return { received };
  } catch (error) {
    return { received, error };
  }
}

test('holdBack: the last chunk of a blob comes out only once its digest matched', async () => {
  const chunks = [Buffer.alloc(1000, 1), Buffer.alloc(1000, 2), Buffer.alloc(500, 3)];
  const whole = Buffer.concat(chunks);
  const good = await passOn(new VerifyingStream({ digest: digestOf(whole), size: whole.byteLength }, 'blob', { holdBack: true }), chunks);
  assert.deepEqual(good, { received: 2500 });
  const wrong = { digest: digestOf(Buffer.alloc(2500, 9)), size: 2500 };
  const held = await passOn(new VerifyingStream(wrong, 'blob', { holdBack: true }), chunks);
  assert.ok(isVouchError(held.error, 'HASH_MISMATCH'));
  assert.equal(held.received, 2000, 'the last chunk never left');
  const plain = await passOn(new VerifyingStream(wrong, 'blob'), chunks);
  assert.equal(plain.received, 2500, 'without holdBack every byte has gone out before the mismatch shows');
});
