// Shared helpers for the trust client tests (unit and interop): a docker-style config dir for
// vouch with the trust server's CA, and running the vouch CLI in-process against it.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoImage } from '../../../src/cli/demoimage.js';
import { runRegistry, type RunningRegistry } from '../../../src/registry/index.js';
import { loadServerConfig, parseRegistryMapping, runServer, type RunningServer } from '../../../src/server/index.js';
import { Session } from '../../../src/client/session.js';
import { imageSignatureStatus } from '../../../src/client/status.js';
import { TrustDir } from '../../../src/keys/index.js';
import { runCli, type CliResult } from '../../support/cli.js';

export const ROOT_PASS = 'vouch-root-pass-1';
export const REPO_PASS = 'vouch-repo-pass-1';

export interface VouchUser {
  dir: string;
  config: string;
  env: Record<string, string>;
  run(args: string[], extraEnv?: Record<string, string>): Promise<CliResult>;
  /** run and require exit 0 */
  ok(args: string[], extraEnv?: Record<string, string>): Promise<CliResult>;
}

const made: string[] = [];

export async function tempDir(prefix = 'vouch-client-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export async function removeTempDirs(): Promise<void> {
  for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
}

/**
 * A user with its own DOCKER_CONFIG (trust dir inside), talking to `server`; `ca` (PEM file) is
 * installed in tls/<host:port>/ as docker expects. `config` may point at an existing docker config.
 */
export async function vouchUser(server: string, opts: { ca?: string; config?: string; auths?: Record<string, string>; env?: Record<string, string> } = {}): Promise<VouchUser> {
  const dir = await tempDir('vouch-user-');
  const config = opts.config ?? join(dir, 'docker');
  await mkdir(config, { recursive: true });
  if (opts.ca) {
    const host = new URL(server).host;
    await mkdir(join(config, 'tls', host), { recursive: true });
    await copyFile(opts.ca, join(config, 'tls', host, 'ca.crt'));
  }
  if (opts.auths) {
    const auths: Record<string, { auth: string }> = {};
    for (const [host, userpass] of Object.entries(opts.auths)) auths[host] = { auth: Buffer.from(userpass).toString('base64') };
    await writeFile(join(config, 'config.json'), JSON.stringify({ auths }));
  }
  const env: Record<string, string> = {
    HOME: dir,
    DOCKER_CONFIG: config,
    DOCKER_CONTENT_TRUST_SERVER: server,
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: ROOT_PASS,
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS,
    ...opts.env,
  };
  const run = (args: string[], extra: Record<string, string> = {}): Promise<CliResult> => runCli(args, { ...env, ...extra }, dir);
  return {
    dir, config, env, run,
    async ok(args, extra) {
      const r = await run(args, extra);
      if (r.code !== 0) throw new Error(`vouch ${args.join(' ')} failed (exit ${r.code})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      return r;
    },
  };
}

/** An in-process trust server (memory storage) and registry; `serverEnv` sets NOTARY_SERVER_* configuration, `ui` the dashboard. */
export async function startLocalStack(dir: string, opts: { serverEnv?: Record<string, string>; ui?: boolean; uiSignatures?: boolean } = {}): Promise<{ server: RunningServer; registry: RunningRegistry }> {
  const registry = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  // uiSignatures: the dashboard reads the registry's Notation signatures, as `vouch server --ui --ui-registry HOST` does
  let session: Session | undefined;
  if (opts.uiSignatures === true) session = new Session({ env: {}, trustDir: new TrustDir(join(dir, 'server-trust')), now: () => new Date() });
  const server = await runServer(loadServerConfig({
    cwd: dir, env: opts.serverEnv ?? {}, readFile: () => '',
    overrides: {
      addr: '127.0.0.1:0', storage: 'memory', dataDir: join(dir, 'server'), logLevel: 'silent', ...(opts.ui === true ? { ui: true } : {}),
      ...(session !== undefined ? { uiRegistries: [parseRegistryMapping(registry.host)] } : {}),
    },
  }), { handleSignals: false, logger: false, ...(session !== undefined ? { signatureReader: (image: string, digest: string) => imageSignatureStatus(session, image, digest) } : {}) });
  if (session !== undefined) {
    const close = server.close.bind(server);
    server.close = async () => { await close(); await session.close(); };
  }
  return { server, registry };
}

/** A local stack with `team/app` whose tags alice signed, after the owner made her a signer (and pushed the tags unsigned). */
export async function startSignedStack(dir: string, tags: string[], content: string): Promise<{ server: RunningServer; registry: RunningRegistry; repo: string; owner: VouchUser; alice: VouchUser }> {
  const { server, registry } = await startLocalStack(dir);
  const repo = `${registry.host}/team/app`;
  const owner = await vouchUser(server.url);
  const alice = await vouchUser(server.url);
  await alice.ok(['trust', 'key', 'generate', 'alice', '--dir', alice.dir]);
  await owner.ok(['trust', 'signer', 'add', '--key', join(alice.dir, 'alice.pub'), 'alice', repo]);
  await writeDemoImage(join(dir, 'image'), '1.0', content);
  for (const tag of tags) await owner.ok(['push', `${repo}:${tag}`, '--from', `oci:${join(dir, 'image')}`, '--disable-content-trust']);
  for (const tag of tags) await alice.ok(['trust', 'sign', `${repo}:${tag}`]);
  return { server, registry, repo, owner, alice };
}
