// What the cosign interop tests share: the real cosign v2 and v3 (scripts/install-go-peers.sh),
// docker-registry (TLS, the peers' CA) and a vouch registry (plain HTTP on loopback), a working
// directory with a demo image, and the two tools run there with one environment.
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { writeDemoImage } from '../../src/cli/demoimage.js';
import { runRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { goPeerBinary } from './gopeers.js';
import { run, startPeers, type Peers, type RunResult } from './peers.js';
import { runCli } from './cli.js';
import { removeTempDirs, tempDir } from '../unit/client/helpers.js';

export type CosignVersion = 'v2' | 'v3';

export interface CosignWorld {
  peers: Peers;
  local: RunningRegistry;
  dir: string;
  env: Record<string, string>;
  vouch(args: string[], cwd?: string): Promise<RunResult>;
  cosign(version: CosignVersion, args: string[], cwd?: string): Promise<RunResult>;
  /** `host/repo:1.0` pushed from the demo image in `dir/from` */
  pushImage(host: string, repo: string, from?: string): Promise<string>;
  /**
   * Flags each cosign needs offline, without a transparency log, against `host`; `legacy` makes
   * cosign v3 write and read the `.sig` tag instead of its default, bundles.
   */
  offline(version: CosignVersion, host: string, verb: 'sign' | 'verify', opts?: { legacy?: boolean }): string[];
  close(): Promise<void>;
}

export async function startCosignWorld(opts: { prefix: string; password: string; images?: Record<string, string> }): Promise<CosignWorld> {
  const [v2, v3] = await Promise.all([goPeerBinary('cosign'), goPeerBinary('cosign3')]);
  const peers = await startPeers({ registry: true });
  const dir = await tempDir(opts.prefix);
  const local = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  const env = { HOME: dir, DOCKER_CONFIG: join(dir, '.docker'), COSIGN_PASSWORD: opts.password, SSL_CERT_FILE: peers.ca };
  for (const [name, content] of Object.entries(opts.images ?? { img: 'cosign interop\n' })) await writeDemoImage(join(dir, name), '1.0', content);
  const binaries: Record<CosignVersion, string> = { v2, v3 };
  const world: CosignWorld = {
    peers, local, dir, env,
    vouch: (args, cwd = dir) => runCli(args, env, cwd),
    cosign: (version, args, cwd = dir) => run(binaries[version], args, { env: { ...env, COSIGN_YES: 'true' }, cwd, timeoutMs: 120_000 }),
    async pushImage(host, repo, from = 'img') {
      const ref = `${host}/${repo}:1.0`;
      const r = await world.vouch(['push', ref, '--from', `oci:${join(dir, from)}`, '--disable-content-trust']);
      assert.equal(r.code, 0, r.stderr);
      return ref;
    },
    offline(version, host, verb, o = {}) {
      const flags = verb === 'sign' ? ['--tlog-upload=false'] : ['--insecure-ignore-tlog=true'];
      if (host === local.host) flags.push('--allow-http-registry');
      if (version === 'v3') {
        if (o.legacy === true) flags.push('--new-bundle-format=false');
        if (verb === 'sign') flags.push('--use-signing-config=false');
      }
      return flags;
    },
    async close() {
      await local.close();
      await peers.stop();
      await removeTempDirs();
    },
  };
  return world;
}
