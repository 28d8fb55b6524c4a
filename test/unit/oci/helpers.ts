// Test helpers: an in-process `vouch registry` on a loopback port, a hostile HTTP server, and
// small images built in memory.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf } from '../../../src/core/index.js';
import { RegistryClient } from '../../../src/oci/client.js';
import { runRegistry, type RegistryOptions } from '../../../src/registry/index.js';
import type { Descriptor } from '../../../src/oci/manifest.js';
import { OCI_CONFIG, OCI_INDEX, OCI_LAYER_GZIP, OCI_MANIFEST } from '../../../src/oci/mediatypes.js';

export async function tempDir(prefix = 'vouch-oci-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface LocalRegistry {
  host: string;
  url: string;
  root: string;
  client(opts?: Partial<ConstructorParameters<typeof RegistryClient>[0]>): RegistryClient;
  close(): Promise<void>;
}

export async function startLocalRegistry(opts: Partial<RegistryOptions> = {}): Promise<LocalRegistry> {
  const { dir, cleanup } = await tempDir('vouch-reg-');
  const reg = await runRegistry({ ...opts, addr: '127.0.0.1:0', root: dir });
  const clients: RegistryClient[] = [];
  return {
    host: reg.host,
    url: reg.url,
    root: dir,
    client(o = {}) {
      const c = new RegistryClient({ registry: reg.host, transportOptions: { retries: 0 }, ...o });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) await c.close();
      await reg.close();
      await cleanup();
    },
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
export async function serve(handler: Handler): Promise<{ url: string; host: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export interface TestImage {
  config: Buffer;
  layers: Buffer[];
  manifest: Buffer;
  descriptor: Descriptor;
  blobs: Map<string, Buffer>;
}

export function blobDescriptor(bytes: Buffer, mediaType: string): Descriptor {
  return { mediaType, digest: digestOf(bytes), size: bytes.byteLength };
}

/** A small OCI image whose layer bytes are arbitrary (registries do not look inside). */
export function makeImage(seed: string, layerSizes: number[] = [1000], arch = 'amd64'): TestImage {
  const layers = layerSizes.map((n, i) => Buffer.alloc(n, `${seed}-${i}-`));
  const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => digestOf(l)) } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: blobDescriptor(config, OCI_CONFIG),
    layers: layers.map((l) => blobDescriptor(l, OCI_LAYER_GZIP)),
  }));
  const blobs = new Map<string, Buffer>([[digestOf(config), config], ...layers.map((l) => [digestOf(l), l] as [string, Buffer])]);
  return { config, layers, manifest, descriptor: blobDescriptor(manifest, OCI_MANIFEST), blobs };
}

export function makeIndex(images: TestImage[], archs: string[]): { bytes: Buffer; descriptor: Descriptor } {
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: images.map((img, i) => ({ ...img.descriptor, platform: { architecture: archs[i], os: 'linux' } })),
  }));
  return { bytes, descriptor: blobDescriptor(bytes, OCI_INDEX) };
}
