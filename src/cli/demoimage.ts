// A tiny, deterministic OCI image for the quickstart and tests: one gzip layer holding
// /hello.txt, a config and a manifest, written as an OCI layout. Same content → same digests.
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { digestOf } from '../core/index.js';
import { OciLayoutWriter, OCI_CONFIG, OCI_MANIFEST, type Descriptor } from '../oci/index.js';

const LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const EPOCH = new Date(0);

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((resolve, reject) => { p.on('end', resolve); p.on('error', reject); });
  for (const [name, text] of Object.entries(files)) {
    p.entry({ name, mode: 0o644, mtime: EPOCH, uid: 0, gid: 0, uname: 'root', gname: 'root' }, text);
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface DemoImage {
  manifest: Descriptor;
  layer: Descriptor;
  config: Descriptor;
}

/** Writes the image into an OCI layout at `dir`, tagged `tag` in index.json. */
export async function writeDemoImage(dir: string, tag: string, content: string): Promise<DemoImage> {
  const tar = await tarOf({ 'hello.txt': content });
  const layerBytes = gzipSync(tar, { level: 9 });
  const configBytes = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/cat', '/hello.txt'] },
    rootfs: { type: 'layers', diff_ids: [digestOf(tar)] },
  }));
  const layer: Descriptor = { mediaType: LAYER_GZIP, digest: digestOf(layerBytes), size: layerBytes.length };
  const config: Descriptor = { mediaType: OCI_CONFIG, digest: digestOf(configBytes), size: configBytes.length };
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] }));
  const manifest: Descriptor = { mediaType: OCI_MANIFEST, digest: digestOf(manifestBytes), size: manifestBytes.length };
  const writer = await OciLayoutWriter.open(dir);
  try {
    await writer.writeBlob(layer, layerBytes);
    await writer.writeBlob(config, configBytes);
    await writer.writeBlob(manifest, manifestBytes);
    writer.addManifest(manifest, tag);
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return { manifest, layer, config };
}
