// The peers harness from a shell (scripts/record-fixtures.sh uses it):
//
//   node dist/test/support/peers-cli.js up ENV_FILE [--registry] [--notary] [--trust-service remote|local]
//        [--key-algorithm ecdsa|rsa|ed25519]   start, write PEERS_DIR/NOTARY_URL/NOTARY_CA/REGISTRY_HOST
//                                              to ENV_FILE, run until SIGTERM/SIGINT, then stop everything
//   node dist/test/support/peers-cli.js notary ARGS…   the notary CLI   (PEERS_DIR, NOTARY_URL, NOTARY_CA
//   node dist/test/support/peers-cli.js docker ARGS…   the docker CLI    from the environment; DOCKER_BIN,
//                                                                         DOCKER_CONFIG, NOTARY_TRUST_DIR too)
//   node dist/test/support/peers-cli.js image REPO TAG [CONTENT]   an OCI layout in PEERS_DIR/images (not
//                                              pushed) with image.env beside it; prints the manifest digest
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildImageLayout } from './image.js';
import { runDockerCli, runNotaryCli, startPeers, type NotaryOptions, type RunResult } from './peers.js';

function usage(): never {
  process.stderr.write('usage: peers-cli.js up ENV_FILE [--registry] [--notary] [--trust-service S] [--key-algorithm A] | notary ARGS… | docker ARGS… | image REPO TAG [CONTENT]\n');
  process.exit(2);
}

function peersDir(): string {
  const dir = process.env.PEERS_DIR;
  if (dir === undefined || dir === '') { process.stderr.write('peers-cli: PEERS_DIR is not set (run `up` first)\n'); process.exit(2); }
  return dir;
}

function passThrough(r: RunResult): never {
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exit(r.code);
}

async function up(envFile: string, flags: string[]): Promise<void> {
  let registry = false;
  let notary: NotaryOptions | undefined;
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    if (f === '--registry') registry = true;
    else if (f === '--notary') notary ??= {};
    else if (f === '--trust-service') notary = { ...notary, trustService: flags[++i] as NotaryOptions['trustService'] };
    else if (f === '--key-algorithm') notary = { ...notary, keyAlgorithm: flags[++i] as NotaryOptions['keyAlgorithm'] };
    else usage();
  }
  const peers = await startPeers({ registry, ...(notary ? { notary } : {}) });
  const stop = (): void => { void peers.stop().finally(() => process.exit(0)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const lines = [`PEERS_DIR=${peers.dir}`];
  if (peers.notaryUrl) lines.push(`NOTARY_URL=${peers.notaryUrl}`, `NOTARY_CA=${peers.ca}`);
  if (peers.registryHost) lines.push(`REGISTRY_HOST=${peers.registryHost}`);
  await writeFile(`${envFile}.tmp`, `${lines.join('\n')}\n`);
  await rename(`${envFile}.tmp`, envFile);
  setInterval(() => undefined, 1 << 30); // run until signalled
}

async function main(): Promise<void> {
  const [cmd, ...args] = process.argv.slice(2);
  switch (cmd) {
    case 'up':
      if (args[0] === undefined) usage();
      return up(args[0], args.slice(1));
    case 'notary':
      return passThrough(await runNotaryCli(peersDir(), {}, args, { timeoutMs: 600_000 }));
    case 'docker':
      return passThrough(await runDockerCli(peersDir(), {}, args, { timeoutMs: 600_000 }));
    case 'image': {
      const [repo, tag, content] = args;
      if (repo === undefined || tag === undefined) usage();
      const img = await buildImageLayout(peersDir(), repo, tag, content);
      await writeFile(join(img.layout, 'image.env'), [
        `MANIFEST_MEDIA_TYPE=${img.mediaType}`, `MANIFEST_DIGEST=${img.digest}`, `MANIFEST_SHA256=${img.sha256}`, `MANIFEST_SIZE=${img.size}`, '',
      ].join('\n'));
      process.stdout.write(`${img.digest}\n`);
      return;
    }
    default:
      usage();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`peers-cli: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
