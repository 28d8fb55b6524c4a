// Registry reads have deadlines: a manifest (read into memory) must be complete within the
// whole-body deadline; a blob (streamed, possibly gigabytes) only may not go silent for longer
// than the stall deadline (src/http/connections.ts and body.ts enforce them).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { isVouchError } from '../../../src/core/index.js';
import { RegistryClient } from '../../../src/oci/client.js';
import { OCI_MANIFEST } from '../../../src/oci/mediatypes.js';
import { drip } from '../../support/hostile.js';
import { blobDescriptor, makeImage, serve } from './helpers.js';

const img = makeImage('deadlines');
const layer = img.layers[0]!;
const layerDesc = blobDescriptor(layer, 'application/octet-stream');
const closers: (() => Promise<void>)[] = [];
after(async () => { for (const c of closers.splice(0)) await c(); });

/** A registry that drips the manifest, and sends half the layer then falls silent (or drips all of it). */
async function slowRegistry(layerMode: 'stall' | 'steady'): Promise<string> {
  const reg = await serve((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') { res.writeHead(200).end('{}'); return; }
    if (url.startsWith('/v2/app/manifests/')) { drip(res, img.manifest, 50, { 'content-type': OCI_MANIFEST }); return; }
    if (url.startsWith('/v2/app/blobs/')) {
      if (layerMode === 'steady') { drip(res, layer, 5); return; }
      res.writeHead(200, { 'content-length': layer.byteLength });
      res.write(layer.subarray(0, layer.byteLength / 2)); // and nothing more
      return;
    }
    res.writeHead(404).end();
  });
  closers.push(reg.close);
  return reg.host;
}

test('a manifest dripped a byte at a time is cut by the whole-body deadline', { timeout: 30_000 }, async () => {
  const host = await slowRegistry('stall');
  const c = new RegistryClient({ registry: host, scheme: 'http', transportOptions: { retries: 0, deadlines: { bodyMs: 300 } } });
  closers.push(() => c.close());
  await assert.rejects(c.getManifest('app', 'latest'), (e) =>
    isVouchError(e, 'NETWORK') && e.details.deadline === 'body' && /manifest app:latest was not complete within the deadline/.test(e.message));
});

test('a blob that falls silent is cut by the stall deadline; a slow but steady one is not cut', { timeout: 30_000 }, async () => {
  const stalled = new RegistryClient({ registry: await slowRegistry('stall'), scheme: 'http', transportOptions: { retries: 0, deadlines: { stallMs: 300 } } });
  closers.push(() => stalled.close());
  await assert.rejects(stalled.readBlob('app', layerDesc), (e) => isVouchError(e, 'NETWORK') && e.details.deadline === 'stall');
  // 1000 bytes at one per 5 ms take ~5 s: far past the whole-body deadline, which blobs do not have
  const steady = new RegistryClient({ registry: await slowRegistry('steady'), scheme: 'http', transportOptions: { retries: 0, deadlines: { stallMs: 2000, bodyMs: 100 } } });
  closers.push(() => steady.close());
  assert.deepEqual(await steady.readBlob('app', layerDesc), layer);
});
