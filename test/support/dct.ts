// DCT trust data made by the real tools for the bridge tests: signers added with the docker CLI
// (28.2.2), tags signed into their roles with the notary client, on the peers' notary-server.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { check, type ImageInfo, type Peers } from './peers.js';
import { REPO_PASS, ROOT_PASS, tempDir } from '../unit/client/helpers.js';

export const DOCKER_28 = '/usr/local/bin/docker';
const NOTARY_PASS = { NOTARY_ROOT_PASSPHRASE: ROOT_PASS, NOTARY_TARGETS_PASSPHRASE: REPO_PASS, NOTARY_SNAPSHOT_PASSPHRASE: REPO_PASS, NOTARY_DELEGATION_PASSPHRASE: REPO_PASS };
const DOCKER_PASS = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: ROOT_PASS, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS };

/** Fails (never skips) when the docker CLI these tests drive is missing. */
export function requireDocker28(): void {
  if (!existsSync(DOCKER_28)) throw new Error(`${DOCKER_28} is missing: a failure, not a skip`);
}

/** `docker trust signer add` for each signer, then `notary addhash` of each tag into its role. */
export async function signWithDockerAndNotary(peers: Peers, gun: string, signers: readonly string[], tags: readonly { tag: string; image: ImageInfo; role: string }[]): Promise<void> {
  const cfg = await tempDir('docker-dct-');
  const keys = join(cfg, 'keys');
  await mkdir(keys, { recursive: true });
  const docker = (args: string[]) => peers.docker(args, { bin: DOCKER_28, config: cfg, env: DOCKER_PASS });
  for (const signer of signers) {
    check(await docker(['trust', 'key', 'generate', signer, '--dir', keys]), `docker trust key generate ${signer}`);
    check(await docker(['trust', 'signer', 'add', '--key', join(keys, `${signer}.pub`), signer, gun]), `docker trust signer add ${signer}`);
  }
  for (const t of tags) {
    check(await peers.notary(['addhash', '-p', gun, t.tag, String(t.image.size), '--sha256', t.image.sha256, '-r', t.role], { trustDir: join(cfg, 'trust'), env: NOTARY_PASS }),
      `notary addhash ${t.tag} in ${t.role}`);
  }
}
