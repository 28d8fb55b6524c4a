// `docker trust` back on docker v29+: `vouch docker install` writes a docker CLI plugin, and the real
// docker CLIs here (28.2.2 and Debian's 20.10) run it through their plugin machinery. Both still have
// a built-in `trust`, which wins over a plugin of that name, so the plugin is installed as `vtrust`
// as well and driven as `docker vtrust …`; what it publishes, the built-in `docker trust inspect`
// reads identically. A missing docker CLI is a failure, never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NotaryApp } from '../../src/server/index.js';
import { createServer } from '../../src/server/index.js';
import { openMemoryStore } from '../../src/storage/index.js';
import { check, run, startPeers, type ImageInfo, type Peers, type RunResult } from '../support/peers.js';
import { removeTempDirs, tempDir, vouchUser } from '../unit/client/helpers.js';

const DOCKERS = ['/usr/local/bin/docker', '/usr/bin/docker'];

let peers: Peers;
let app: NotaryApp;
let url: string;
let images: ImageInfo[];

before(async () => {
  for (const bin of DOCKERS) if (!existsSync(bin)) throw new Error(`${bin} is missing: a failure, not a skip`);
  peers = await startPeers({ registry: true, docker: true });
  const certs = join(peers.dir, 'certs');
  const store = openMemoryStore({ keySecret: 'plugin-secret' });
  app = createServer({ store, keyStore: store.keys, https: { key: await readFile(join(certs, 'notary-server.key')), cert: await readFile(join(certs, 'notary-server.crt')) } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `https://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  images = [await peers.makeImage('plugin/app0', '1.0'), await peers.makeImage('plugin/app1', '1.0', 'one')];
});

after(async () => {
  await app?.close();
  await peers?.stop();
  await removeTempDirs();
});

const docker = (bin: string, config: string, args: string[]): Promise<RunResult> =>
  peers.docker(args, { bin, config, env: { NOTARY_URL: url, NOTARY_CA: peers.ca } });

test('vouch docker install writes an executable plugin that docker lists, and answers the metadata call as the protocol asks', async () => {
  const config = await tempDir('docker-plugin-cfg-');
  const v = await vouchUser(url, { config });
  const installed = await v.ok(['docker', 'install', '--name', 'vtrust', '--json']);
  const result = JSON.parse(installed.stdout) as { path: string; replaced: boolean; docker: string | null };
  assert.equal(result.path, join(config, 'cli-plugins', 'docker-vtrust'));
  assert.equal(result.replaced, false);
  assert.equal((await stat(result.path)).mode & 0o777, 0o755);

  const metadata = check(await run(result.path, ['docker-cli-plugin-metadata']), 'plugin metadata');
  const meta = JSON.parse(metadata) as Record<string, string>;
  assert.equal(meta.SchemaVersion, '0.1.0');
  assert.equal(meta.Vendor, 'vouch');

  for (const bin of DOCKERS) {
    const help = await docker(bin, config, ['--help']);
    assert.match(help.stdout + help.stderr, /vtrust\*?\s+Manage trust on images \(docker trust, run by vouch\)/, `${bin} lists the plugin`);
  }
  // reinstalling replaces its own file; a foreign file of that name is left alone without --force
  assert.equal((JSON.parse((await v.ok(['docker', 'install', '--name', 'vtrust', '--json'])).stdout) as { replaced: boolean }).replaced, true);
  const elsewhere = join(config, 'elsewhere');
  await mkdir(elsewhere, { recursive: true });
  await writeFile(join(elsewhere, 'docker-vtrust'), '#!/bin/sh\necho someone else\n', { mode: 0o755 });
  const foreign = await v.run(['docker', 'install', '--name', 'vtrust', '--dir', elsewhere]);
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /exists and was not written by vouch/);
  assert.match(await readFile(join(elsewhere, 'docker-vtrust'), 'utf8'), /someone else/);
  await v.ok(['docker', 'install', '--name', 'vtrust', '--dir', elsewhere, '--force']);
  assert.match(await readFile(join(elsewhere, 'docker-vtrust'), 'utf8'), /vouch docker install/);
  const wrongName = await v.run(['docker', 'install', '--name', 'Trust']);
  assert.equal(wrongName.code, 2);
});

test('docker vtrust key/signer/sign/inspect/revoke run vouch through both docker CLIs; the built-in docker trust inspect reads the same', async () => {
  for (const [i, bin] of DOCKERS.entries()) {
    const gun = peers.gun(`plugin/app${i}`);
    const img = images[i] as ImageInfo;
    const config = await tempDir('docker-plugin-user-');
    const keys = join(config, 'keys');
    await mkdir(keys, { recursive: true });
    const v = await vouchUser(url, { config, ca: peers.ca });
    await v.ok(['docker', 'install', '--name', 'vtrust']);
    const signer = `signer${i}`;
    check(await docker(bin, config, ['vtrust', 'key', 'generate', signer, '--dir', keys]), `${bin}: docker vtrust key generate`);
    check(await docker(bin, config, ['vtrust', 'signer', 'add', '--key', join(keys, `${signer}.pub`), signer, gun]), `${bin}: docker vtrust signer add`);
    check(await docker(bin, config, ['vtrust', 'sign', `${gun}:1.0`]), `${bin}: docker vtrust sign`);

    const viaPlugin = await docker(bin, config, ['vtrust', 'inspect', '--pretty', gun]);
    const builtin = await docker(bin, config, ['trust', 'inspect', '--pretty', gun]);
    const direct = await v.ok(['trust', 'inspect', '--pretty', gun]);
    assert.equal(viaPlugin.code, 0, viaPlugin.stderr);
    assert.equal(builtin.code, 0, builtin.stderr);
    assert.equal(viaPlugin.stdout, builtin.stdout, `${bin}: the plugin prints what docker's own trust inspect prints`);
    assert.equal(viaPlugin.stdout, direct.stdout);
    assert.match(viaPlugin.stdout, new RegExp(`1\\.0\\s+${img.sha256}\\s+${signer}`));
    const json = JSON.parse((await docker(bin, config, ['vtrust', 'inspect', gun])).stdout) as Array<{ SignedTags: Array<{ SignedTag: string }> }>;
    assert.equal(json[0]?.SignedTags[0]?.SignedTag, '1.0');

    // docker's global --config reaches the plugin: another config has no keys, so signing there fails
    const empty = await tempDir('docker-plugin-empty-');
    const elsewhere = await docker(bin, config, ['--config', empty, 'vtrust', 'sign', `${gun}:1.0`]);
    assert.notEqual(elsewhere.code, 0, 'signing with an empty --config has no keys');

    check(await docker(bin, config, ['vtrust', 'revoke', '--yes', `${gun}:1.0`]), `${bin}: docker vtrust revoke`);
    const after = await docker(bin, config, ['trust', 'inspect', '--pretty', gun]);
    assert.match(after.stdout, /No signatures for/, `${bin}: after revoke, docker's own inspect sees no signed tag`);
    // an error exits non-zero through docker, as docker trust did
    const missing = await docker(bin, config, ['vtrust', 'inspect', peers.gun('plugin/none')]);
    assert.notEqual(missing.code, 0);
  }
});
