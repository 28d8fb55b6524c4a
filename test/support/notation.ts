// The real `notation` CLI for the interop tests: built by scripts/install-go-peers.sh (once,
// cached outside the repository; a missing Go or a refused module is a failure, never a skip),
// a signing PKI made with openssl that satisfies notation's certificate rules, and notation's
// configuration directory (trust stores, trust policy, signing keys) in a temporary
// XDG_CONFIG_HOME.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TestPluginConfig } from './notation-test-plugin.js';
import { projectRoot } from './paths.js';
import { check, run, type RunResult } from './peers.js';

const built = new Map<string, Promise<string>>();

/** Path of a pinned Go peer (`notation`, `oras`), built by scripts/install-go-peers.sh on first use. */
export function goPeerBinary(name: 'notation' | 'oras'): Promise<string> {
  let p = built.get(name);
  if (!p) {
    p = (async () => {
      const r = await run('bash', [join(projectRoot, 'scripts', 'install-go-peers.sh'), name], { timeoutMs: 900_000 });
      const path = check(r, `scripts/install-go-peers.sh ${name} (builds the real ${name} with go install; a failure, not a skip)`).trim().split('\n').pop() ?? '';
      if (!path) throw new Error(`scripts/install-go-peers.sh printed no path for ${name}`);
      return path;
    })();
    built.set(name, p);
  }
  return p;
}

/** Path of the pinned notation binary (built on first use). */
export function notationBinary(): Promise<string> {
  return goPeerBinary('notation');
}

const openssl = (dir: string, args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }); };

export type KeyKind = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ec-256' | 'ec-384' | 'ec-521';

/** A key in PKCS#8 PEM at `dir/NAME.key`. */
function makeKey(dir: string, name: string, kind: KeyKind): void {
  const [family, size] = kind.split('-') as [string, string];
  if (family === 'rsa') openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${size}`, '-out', `${name}.key`]);
  else openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${{ 256: 'P-256', 384: 'P-384', 521: 'P-521' }[size] as string}`, '-out', `${name}.key`]);
}

/** A self-signed root CA (critical basicConstraints CA:TRUE, critical keyUsage keyCertSign): `dir/NAME.crt`. */
export async function makeRootCa(dir: string, name: string, subject: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  makeKey(dir, name, 'rsa-2048');
  openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-sha256', '-days', '30', '-subj', subject, '-out', `${name}.crt`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return join(dir, `${name}.crt`);
}

export interface SigningIdentity {
  key: string;
  /** the leaf and its root, PEM, leaf first */
  chain: string;
  leaf: string;
}

/**
 * A code-signing leaf issued by the root `ca` in `dir` (notation's leaf rules: critical keyUsage
 * digitalSignature only, codeSigning EKU, CA:FALSE), with `NAME.chain.crt` = leaf + root.
 */
export async function issueSigningLeaf(dir: string, ca: string, name: string, kind: KeyKind, subject: string): Promise<SigningIdentity> {
  makeKey(dir, name, kind);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  await writeFile(join(dir, `${name}.ext`), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n');
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '10', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  const chain = join(dir, `${name}.chain.crt`);
  await writeFile(chain, Buffer.concat([await readFile(join(dir, `${name}.crt`)), await readFile(join(dir, `${ca}.crt`))]));
  return { key: join(dir, `${name}.key`), chain, leaf: join(dir, `${name}.crt`) };
}

export interface NotationConfig {
  /** trust store name (type ca) → certificate files */
  trustStores: Record<string, string[]>;
  /** written as trustpolicy.json, the file notation v1.3 reads */
  policy: unknown;
  /** trust store name (type tsa) → certificate files (timestamping roots) */
  tsaStores?: Record<string, string[]>;
  /** signingkeys.json entries: name → key and chain files (notation's local keys, for `notation sign --key NAME`) */
  signingKeys?: Record<string, SigningIdentity>;
}

/** A HOME with notation's config directory; returns the environment both tools run with. */
export async function makeNotationHome(dir: string, config: NotationConfig): Promise<Record<string, string>> {
  const cfg = join(dir, 'config', 'notation');
  const stores = [...Object.entries(config.trustStores).map(([n, f]) => ['ca', n, f] as const), ...Object.entries(config.tsaStores ?? {}).map(([n, f]) => ['tsa', n, f] as const)];
  for (const [type, name, files] of stores) {
    const store = join(cfg, 'truststore', 'x509', type, name);
    await mkdir(store, { recursive: true });
    for (const [i, f] of files.entries()) await writeFile(join(store, `cert${i}.crt`), await readFile(f));
  }
  await mkdir(cfg, { recursive: true });
  await writeFile(join(cfg, 'trustpolicy.json'), JSON.stringify(config.policy, null, 2));
  const keys = Object.entries(config.signingKeys ?? {});
  if (keys.length > 0) {
    await writeFile(join(cfg, 'signingkeys.json'), JSON.stringify({
      default: keys[0]?.[0],
      keys: keys.map(([name, id]) => ({ name, keyPath: id.key, certPath: id.chain })),
    }, null, 2));
  }
  await mkdir(join(dir, 'home'), { recursive: true });
  return {
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    DOCKER_CONFIG: join(dir, 'home', '.docker'),
    NOTATION_EXPERIMENTAL: '1',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
}

/** A trust policy with one global statement. */
export function globalPolicy(level: string, trustStores: string[], trustedIdentities: string[]): unknown {
  return { version: '1.0', trustPolicies: [{ name: 'global', registryScopes: ['*'], signatureVerification: { level }, trustStores, trustedIdentities }] };
}

/** Runs the real notation with `env` only (plus what `run` adds). */
export async function runNotation(env: Record<string, string>, args: string[]): Promise<RunResult> {
  return run(await notationBinary(), args, { env, timeoutMs: 120_000 });
}

export const TEST_PLUGIN = 'io.vouch.test';

/**
 * Installs the tests' own plugin (test/support/notation-test-plugin.ts, built from the protocol
 * specification) as `<notation config>/plugins/NAME/notation-NAME` of the home `env`: a launcher
 * that runs it with this node. Returns the plugin's directory (config.json, requests.jsonl).
 */
export async function installTestPlugin(env: Record<string, string>, cfg: Partial<TestPluginConfig> & Pick<TestPluginConfig, 'keyId' | 'keyFile' | 'chainFile' | 'keySpec'>): Promise<string> {
  const name = cfg.name ?? TEST_PLUGIN;
  const dir = join(env.XDG_CONFIG_HOME as string, 'notation', 'plugins', name);
  await mkdir(dir, { recursive: true });
  const full: TestPluginConfig = {
    name, version: '1.2.0',
    capabilities: ['SIGNATURE_GENERATOR.RAW', 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY', 'SIGNATURE_VERIFIER.REVOCATION_CHECK'],
    ...cfg,
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(full, null, 2));
  const script = join(dirname(fileURLToPath(import.meta.url)), 'notation-test-plugin.js');
  const bin = join(dir, `notation-${name}`);
  await writeFile(bin, `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(script).href)});\n`);
  await chmod(bin, 0o755);
  return dir;
}

/** The requests the test plugin in `dir` received, oldest first. */
export async function pluginRequests(dir: string): Promise<{ command: string; request: Record<string, unknown> }[]> {
  const text = await readFile(join(dir, 'requests.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { command: string; request: Record<string, unknown> });
}
