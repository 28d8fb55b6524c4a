// A large image of random (incompressible) layers in an OCI layout, for the pull and gate benchmarks.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { OciLayoutWriter, OCI_CONFIG, OCI_MANIFEST, type Descriptor } from '../src/oci/index.js';
import { digestOf } from '../src/core/index.js';
import type { Peers } from '../test/support/peers.js';
import { projectRoot } from '../test/support/paths.js';
import { run } from './lib.js';

const MB = 1024 * 1024;

async function gzipTarOfRandom(file: string, bytes: number): Promise<Buffer> {
  const p = pack();
  const out = openSync(file, 'w');
  const gz = createGzip({ level: 1 });
  const done = pipeline(p, gz, new Writable({ write(chunk: Buffer, _e, cb) { writeSync(out, chunk); cb(); } }));
  const entry = p.entry({ name: 'data.bin', size: bytes, mtime: new Date(0) });
  for (let left = bytes; left > 0; left -= MB) entry.write(randomBytes(Math.min(MB, left)));
  entry.end(Buffer.alloc(0));
  p.finalize();
  await done;
  closeSync(out);
  return readFileSync(file);
}

/** Writes an image of `imageMb` MB in `layers` layers to the OCI layout `dir`, tagged 1.0; returns its manifest. */
export async function buildImage(dir: string, imageMb: number, layers: number): Promise<Descriptor> {
  const writer = await OciLayoutWriter.open(dir);
  const descs: Descriptor[] = [];
  for (let i = 0; i < layers; i++) {
    const tmp = join(tmpdir(), `vouch-bench-layer-${process.pid}-${i}`);
    const bytes = await gzipTarOfRandom(tmp, (imageMb * MB) / layers);
    const d: Descriptor = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(bytes), size: bytes.length };
    await writer.writeBlob(d, bytes);
    rmSync(tmp);
    descs.push(d);
  }
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const config: Descriptor = { mediaType: OCI_CONFIG, digest: digestOf(configBytes), size: configBytes.length };
  await writer.writeBlob(config, configBytes);
  const mBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: descs }));
  const manifest: Descriptor = { mediaType: OCI_MANIFEST, digest: digestOf(mBytes), size: mBytes.length };
  await writer.writeBlob(manifest, mBytes);
  writer.addManifest(manifest, '1.0');
  await writer.commit();
  return manifest;
}

/**
 * Builds the image in WORK/image, pushes it to the peers' registry as bench/big:1.0 and signs it in
 * their notary-server with `vouch push --sign`; returns its manifest, the reference and the
 * environment (trust server, CA, passphrases) the vouch runs of a benchmark use.
 */
export async function pushSignedImage(peers: Peers, work: string, imageMb: number, layers: number): Promise<{ manifest: Descriptor; image: string; env: Record<string, string> }> {
  process.stderr.write(`building a ${imageMb} MB image (${layers} layers)…\n`);
  const manifest = await buildImage(join(work, 'image'), imageMb, layers);
  const image = `${peers.gun('bench/big')}:1.0`;
  const env: Record<string, string> = {
    HOME: work,
    DOCKER_CONFIG: join(work, 'docker'),
    DOCKER_CONTENT_TRUST_SERVER: peers.notaryUrl as string,
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'bench-root-passphrase',
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'bench-repo-passphrase',
  };
  const host = new URL(peers.notaryUrl as string).host;
  mkdirSync(join(work, 'docker', 'tls', host), { recursive: true });
  writeFileSync(join(work, 'docker', 'tls', host, 'ca.crt'), readFileSync(peers.ca));
  const pushed = await run(process.execPath, [join(projectRoot, 'bin', 'vouch.js'), 'push', image, '--from', `oci:${join(work, 'image')}`, '--sign'], { env: { ...process.env, ...env } });
  if (pushed.code !== 0) throw new Error(`push: ${pushed.stderr}`);
  return { manifest, image, env };
}
