// Images in the REAL CNCF registry (docker-registry, test/support/peers.ts) signed with all three kinds
// the one policy knows: DCT (a delegation, release-bot, in an in-process vouch server), Notation (the
// REAL notation v1.3.2, with a certificate chain made with openssl to notation's rules; its
// configuration directory's trust store and trust policy referenced by the policy as they are) and
// cosign (vouch cosign, legacy `.sig`, whose interop with the real cosign is
// test/interop/cosign.test.ts). Shared by test/interop/policy-mixed.test.ts (the vouch CLI) and
// test/interop/enforce-mixed.test.ts (vouch admission and vouch gate).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDemoImage, type DemoImage } from '../../src/cli/demoimage.js';
import { loadServerConfig, runServer, type RunningServer } from '../../src/server/index.js';
import { startPeers, type Peers } from './peers.js';
import { globalPolicy, issueSigningLeaf, makeNotationHome, makeRootCa, runNotation } from './notation.js';
import { tempDir, vouchUser, type VouchUser } from '../unit/client/helpers.js';

const COSIGN_PASSWORD = 'policy-mixed';

/** The three signers as the policy names them: DCT delegation, Notation identity, cosign key. */
export const MIXED_SIGNERS = ['release-bot', 'ci', 'security'] as const;

export interface MixedRule { signers: readonly string[]; threshold: number | 'all'; require?: string }

export interface MixedStack {
  peers: Peers;
  server: RunningServer;
  /** the repository's owner; its directory holds the keys, the notation home and the policy files */
  owner: VouchUser;
  /** release-bot, the DCT delegation */
  bot: VouchUser;
  /** `peers.gun(path)`: the repository in docker-registry */
  repo: string;
  /** Pushes a demo image with `content` as `repo:tag` (unsigned). */
  push(tag: string, content: string): Promise<DemoImage>;
  /** release-bot signs the tag (DCT, in vouch server). */
  signDct(tag: string): Promise<void>;
  /** The real notation signs the digest with the ci key. */
  signNotation(digest: string): Promise<void>;
  /** vouch cosign signs the reference with `key` (security or stranger), in the legacy `.sig` tag. */
  signCosign(ref: string, key?: 'security' | 'stranger'): Promise<void>;
  /**
   * A policy file in the owner's directory for the repositories under `pattern`, with one rule
   * `name`; its signer definitions name key files and notation's directory relative to itself.
   * `over` replaces definitions (a wrong key, a wrong identity).
   */
  policyFile(name: string, rule: MixedRule, over?: Record<string, string>, pattern?: string): string;
  close(): Promise<void>;
}

/** docker-registry, vouch server, the owner and release-bot (a delegation of `path`), notation's PKI and home, the cosign key pairs. */
export async function startMixedStack(path: string, prefix: string): Promise<MixedStack> {
  const peers = await startPeers({ registry: true });
  const dir = await tempDir(prefix);
  const server = await runServer(loadServerConfig({
    cwd: dir, env: {}, readFile: () => '',
    overrides: { addr: '127.0.0.1:0', storage: 'memory', dataDir: join(dir, 'server'), logLevel: 'silent' },
  }), { handleSignals: false, logger: false });
  const owner = await vouchUser(server.url, { env: { COSIGN_PASSWORD } });
  const bot = await vouchUser(server.url);
  const repo = peers.gun(path);

  // Notation: a CA and a code-signing leaf (notation's certificate rules); the CA in trust store ca:acme
  // of a notation configuration directory next to the policy files.
  const pki = join(owner.dir, 'pki');
  await makeRootCa(pki, 'acme-root', '/C=US/ST=WA/O=Acme/CN=Acme Root');
  const leaf = await issueSigningLeaf(pki, 'acme-root', 'ci', 'ec-256', '/C=US/ST=WA/O=Acme/CN=ci');
  const notationEnv = await makeNotationHome(join(owner.dir, 'notation-home'), {
    trustStores: { acme: [join(pki, 'acme-root.crt')] }, policy: globalPolicy('strict', ['ca:acme'], ['*']), signingKeys: { ci: leaf },
  });
  // cosign: the security team's key pair, and a stranger's
  for (const name of ['security', 'stranger']) await owner.ok(['cosign', 'generate-key-pair', '--output-key-prefix', name]);
  // DCT: release-bot is a delegation of the repository
  await bot.ok(['trust', 'key', 'generate', 'release-bot', '--dir', bot.dir]);

  let delegated = false;
  return {
    peers, server, owner, bot, repo,
    async push(tag, content) {
      const layout = join(dir, `img-${tag}`);
      const image = await writeDemoImage(layout, tag, content);
      await owner.ok(['push', `${repo}:${tag}`, '--from', `oci:${layout}`, '--disable-content-trust']);
      // release-bot becomes a delegation once the repository is in the registry, as a user would add it
      if (!delegated) {
        await owner.ok(['trust', 'signer', 'add', '--key', join(bot.dir, 'release-bot.pub'), 'release-bot', repo]);
        delegated = true;
      }
      return image;
    },
    async signDct(tag) { await bot.ok(['trust', 'sign', `${repo}:${tag}`]); },
    async signNotation(digest) {
      const r = await runNotation(notationEnv, ['sign', '--insecure-registry', '--key', 'ci', `${repo}@${digest}`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    },
    async signCosign(ref, key = 'security') { await owner.ok(['cosign', 'sign', '--key', `${key}.key`, '--tlog-upload=false', '--new-bundle-format=false', ref]); },
    policyFile(name, rule, over = {}, pattern = `${peers.registryHost as string}/${path.split('/')[0] as string}/**`) {
      const defs: Record<string, string> = {
        'release-bot': '{ dct: release-bot }',
        ci: '{ notation: { trustStore: "ca:acme", identities: ["x509.subject: C=US, ST=WA, O=Acme, CN=ci"], level: strict, trustStoreDir: notation-home/config/notation } }',
        security: '{ cosign: { key: security.pub } }',
        ...over,
      };
      const file = join(owner.dir, `${name}.yaml`);
      writeFileSync(file, `version: 1
signers:
${Object.entries(defs).filter(([n]) => rule.signers.includes(n)).map(([n, d]) => `  ${n}: ${d}`).join('\n')}
rules:
  - name: ${name}
    repositories: ["${pattern}"]
    signers: [${rule.signers.join(', ')}]
    threshold: ${rule.threshold}
${rule.require !== undefined ? `    require: ${rule.require}\n` : ''}`);
      return file;
    },
    async close() {
      await server.close();
      await peers.stop();
    },
  };
}
