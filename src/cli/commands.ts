// The command tree of the README's command table. Each action loads its implementation on demand, so `--help`
// and unrelated commands stay fast.
import type { Command } from 'commander';
import type { Io } from './output.js';
import { createContext, type Context } from './context.js';
import type { Env } from '../client/dockerenv.js';
import { registerTrustCommands } from './trust.js';
import { registerNotationCertCommands, registerNotationInspectCommands, registerNotationKeyCommands, registerNotationPolicyCommands } from './notation.js';
import type { RegistryCommandOptions } from './commands/registry.js';
import type { ServerCommandOptions } from './commands/server.js';
import type { PullCommandOptions, PushCommandOptions } from './commands/image.js';
import type { VerifyCommandOptions } from './commands/verify.js';
import type { PinCommandOptions } from './commands/pin.js';
import type { StatusCommandOptions } from './commands/status.js';
import type { NotationSignOptions, NotationVerifyCommandOptions } from './commands/notation.js';
import { DEFAULT_REGISTRY_LIMITS as REG } from '../registry/limits.js';

const gib = (n: number): string => `${n / 1024 ** 3}GiB`;

export function registerCommands(program: Command, io: Io, env: Env, cwd: string): void {
  const run = (fn: (ctx: Context) => Promise<void>) => async (): Promise<void> => fn(createContext(io, env, cwd));

  program.command('version').description('print the version').action(() => {
    io.out(`${program.version()}\n`);
  });

  registerTrustCommands(program, run);

  program
    .command('quickstart')
    .description('the whole story on embedded defaults: trust server + registry on loopback, signed push, verified pull, attacks refused')
    .option('--keep', 'keep the temporary directory (keys, trust data, registry) for a look afterwards')
    .action((opts: { keep?: boolean }) =>
      run(async (ctx) => (await import('./commands/quickstart.js')).quickstartCommand(ctx, opts))());

  program
    .command('push')
    .description('push an image from an OCI layout or a docker-archive; signs the tag when content trust is on')
    .argument('<image>', 'IMAGE:TAG to push to')
    .requiredOption('--from <source>', 'oci:DIR[:REF] (OCI image layout) or docker-archive:FILE[:REPO:TAG] (docker save)')
    .option('--sign', 'sign the tag even when DOCKER_CONTENT_TRUST is not set')
    .option('--disable-content-trust', 'do not sign, whatever DOCKER_CONTENT_TRUST says')
    .option('--trust-pinning <file>', 'notary client config with trust_pinning (root key IDs or CAs)')
    .option('--json', 'print progress and results as JSON lines')
    .action((image: string, opts: PushCommandOptions) =>
      run(async (ctx) => (await import('./commands/image.js')).pushCommand(ctx, image, opts))());

  program
    .command('pull')
    .description('pull an image into an OCI layout; with content trust on, only the signed digest, verified end to end')
    .argument('<image>', 'IMAGE[:TAG] or IMAGE@sha256:DIGEST')
    .option('--to <dest>', 'oci:DIR, the OCI image layout to write (created or added to)')
    .option('--verify', 'verify through trust data even when DOCKER_CONTENT_TRUST is not set')
    .option('--disable-content-trust', 'pull by tag without verification, whatever DOCKER_CONTENT_TRUST says')
    .option('--docker', 'hand the verified IMAGE@digest to `docker pull` and tag it (needs a docker daemon)')
    .option('--policy <file>', 'trust policy to apply with content trust on (docs/policy.md); default $VOUCH_POLICY, else the built-in policy')
    .option('--trust-pinning <file>', 'notary client config with trust_pinning (root key IDs or CAs)')
    .option('--json', 'print progress and results as JSON lines')
    .action((image: string, opts: PullCommandOptions) =>
      run(async (ctx) => (await import('./commands/image.js')).pullCommand(ctx, image, opts))());

  program
    .command('verify')
    .description('check images against the trust policy (a CI gate): verified trust data, every check reported; exit 1 if any image is denied')
    .argument('<image...>', 'IMAGE[:TAG] (latest when no tag) or IMAGE:TAG@sha256:DIGEST')
    .option('--policy <file>', 'trust policy file (YAML or JSON, docs/policy.md); default $VOUCH_POLICY, else the built-in policy')
    .option('--json', 'print one object per image (the decision with every check) as a JSON array')
    .option('--trust-pinning <file>', 'notary client config with trust_pinning (root key IDs or CAs)')
    .addHelpText('after', '\nExit status: 0 when every image is allowed (audit-mode failures are reported but allowed), 1 when any is denied\nor its trust data cannot be verified, 2 for a usage error. See docs/verify.md.')
    .action((images: string[], opts: VerifyCommandOptions) =>
      run(async (ctx) => (await import('./commands/verify.js')).verifyCommand(ctx, images, opts))());

  program
    .command('status')
    .description('what stops verifying, and when: the expiry of every role and root certificate, who renews it, signed tags per signer, keys')
    .argument('[repository...]', 'repositories (GUNs) to check, e.g. registry.example.com/team/app')
    .option('--all', 'every repository of the trust server in DOCKER_CONTENT_TRUST_SERVER (read from its changefeed)')
    .option('--warn <duration>', 'horizon: report what expires within it (s, m, h, d or w)', '30d')
    .option('--json', 'print the status of every repository as a JSON array')
    .option('--trust-pinning <file>', 'notary client config with trust_pinning (root key IDs or CAs)')
    .addHelpText('after', '\nExit status: 0 when nothing expires within the horizon, 1 when something does, 2 when something has expired\nor cannot be verified (and for a usage error). See docs/status.md.')
    .action((repositories: string[], opts: StatusCommandOptions) =>
      run(async (ctx) => (await import('./commands/status.js')).statusCommand(ctx, repositories, opts))());

  program
    .command('pin')
    .description('pin image references in Kubernetes manifests, Compose files and Dockerfiles to their signed digests (IMAGE:TAG@sha256:…)')
    .argument('<file...>', 'files to rewrite in place (or to check)')
    .option('--check', 'change nothing; exit 1 if any reference is not pinned to its signed digest')
    .option('--update', 'also replace digests that are no longer the signed ones')
    .option('--policy <file>', 'trust policy file (docs/policy.md); default $VOUCH_POLICY, else the built-in policy')
    .option('--json', 'print the outcome of every reference as JSON')
    .option('--trust-pinning <file>', 'notary client config with trust_pinning (root key IDs or CAs)')
    .addHelpText('after', '\nExit status: 0 when every reference is pinned to its signed digest, 1 when a problem is left (or found by\n--check), 2 for a usage error. See docs/pin.md.')
    .action((files: string[], opts: PinCommandOptions) =>
      run(async (ctx) => (await import('./commands/pin.js')).pinCommand(ctx, files, opts))());

  const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
  const notation = program
    .command('notation')
    .description('Notation (Notary Project) signatures as OCI artifacts, like the notation CLI: sign, verify, inspect, list; notation\'s trust stores, signing keys and trust policy (docs/notation.md)');
  notation
    .command('sign')
    .description('sign an artifact in a registry or an OCI layout; the signature is pushed next to it (notation sign)')
    .argument('<reference>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST (with --oci-layout: DIR:TAG or DIR@sha256:DIGEST)')
    .option('-k, --key <name|file>', "a key of notation's signingkeys.json (default: its default key); with --cert: a PEM key file (PKCS#8, PKCS#1 or SEC1, unencrypted)")
    .option('--cert <file>', 'the PEM certificate chain of --key FILE (leaf first, ending in the root)')
    .option('--signature-format <format>', 'signature envelope format: jws', 'jws')
    .option('-e, --expiry <duration>', 'the signature expires after this long (a Go duration: 24h, 30m, 1h30m)')
    .option('-m, --user-metadata <key=value>', 'metadata to add to the signed payload (repeatable)', collect)
    .option('--oci-layout', 'the reference is an OCI image layout on disk (DIR:TAG or DIR@DIGEST); works offline')
    .option('--plain-http', 'talk plain HTTP to the registry')
    .option('--insecure-registry', 'same as --plain-http (notation\'s name)')
    .addHelpText('after', '\nExit status: 0 when signed, 1 when not, 2 for a usage error.')
    .action((reference: string, opts: NotationSignOptions) =>
      run(async (ctx) => (await import('./commands/notation.js')).notationSignCommand(ctx, reference, opts))());
  notation
    .command('verify')
    .description("verify an artifact's Notation signatures against notation's trust policy and trust stores (notation verify)")
    .argument('<reference>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST (with --oci-layout: DIR:TAG or DIR@sha256:DIGEST)')
    .option('-m, --user-metadata <key=value>', 'metadata the signature must carry (repeatable)', collect)
    .option('--oci-layout', 'the reference is an OCI image layout on disk (needs --scope); works offline')
    .option('--scope <scope>', 'with --oci-layout: the trust policy scope to verify under, e.g. local/app')
    .option('--max-signatures <n>', 'try at most this many signatures', '100')
    .option('--trust-policy <file>', 'the trust policy file (default: trustpolicy.oci.json, else trustpolicy.json, in the notation config directory)')
    .option('-o, --output <format>', 'text or json (the verdict with every check)', 'text')
    .option('--plain-http', 'talk plain HTTP to the registry')
    .option('--insecure-registry', 'same as --plain-http (notation\'s name)')
    .addHelpText('after', '\nThe notation config directory is $XDG_CONFIG_HOME/notation (default ~/.config/notation): trust stores in\ntruststore/x509/{ca,signingAuthority}/NAME/. Exit status: 0 when a signature verifies, 1 when none does, 2 for a usage error.')
    .action((reference: string, opts: NotationVerifyCommandOptions) =>
      run(async (ctx) => (await import('./commands/notation.js')).notationVerifyCommand(ctx, reference, opts))());
  registerNotationInspectCommands(notation, run);
  registerNotationCertCommands(notation, run);
  registerNotationKeyCommands(notation, run);
  registerNotationPolicyCommands(notation, run);

  program
    .command('server')
    .description('run the trust server (Notary v1 API, as notary-server); accepts notary-server\'s config.json')
    .option('--config <file>', 'notary-server style config.json (server, storage, trust_service, auth, caching, repositories)')
    .option('--addr <host:port>', 'address to listen on (default 127.0.0.1:4443)')
    .option('--storage <url>', 'memory, sqlite:PATH or postgres://user:pass@host:port/db (default SQLite in the data dir)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--data-dir <dir>', 'where the default database and the key secret live (default $VOUCH_DATA_DIR/server)')
    .option('--key-algorithm <alg>', 'algorithm of new server-held keys: ecdsa or ed25519')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent')
    .option('--workers <n>', 'serve from n processes sharing the port and the database (SQLite or PostgreSQL storage); default 1')
    .option('--ui', 'also serve the read-only dashboard at /_vouch/ui/ (behind the same token auth as the API; config key vouch.ui)')
    .addHelpText('after', '\nServer-held keys are encrypted with VOUCH_SERVER_KEY_SECRET, or a secret generated into the data dir.')
    .action((opts: ServerCommandOptions) =>
      run(async (ctx) => (await import('./commands/server.js')).serverCommand(ctx, opts))());

  program
    .command('registry')
    .description('run the embedded OCI registry (filesystem storage)')
    .option('--addr <host:port>', 'address to listen on', '127.0.0.1:5000')
    .option('--root <dir>', 'storage directory (default $VOUCH_DATA_DIR/registry, ~/.local/share/vouch/registry)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--user <name>', 'require HTTP Basic auth as this user; the password comes from VOUCH_REGISTRY_PASSWORD')
    .option('--log', 'log every request as JSON to stderr')
    .option('--disk-budget <size>', `refuse writes once the storage holds this much (e.g. 50GiB); default ${gib(REG.diskBudgetBytes)}`)
    .option('--max-uploads <n>', `open upload sessions in the whole registry; default ${REG.maxUploads}`)
    .option('--max-uploads-per-repo <n>', `open upload sessions in one repository; default ${REG.maxUploadsPerRepository}`)
    .option('--max-upload-bytes <size>', `bytes held by all open upload sessions; default ${gib(REG.maxUploadBytes)}`)
    .option('--max-upload-bytes-per-repo <size>', `bytes held by the open upload sessions of one repository; default ${gib(REG.maxUploadBytesPerRepository)}`)
    .option('--upload-idle <seconds>', `delete an upload session (and its data) no request has touched for this long; default ${REG.uploadIdleMs / 1000}`)
    .action((opts: RegistryCommandOptions) =>
      run(async (ctx) => (await import('./commands/registry.js')).registryCommand(ctx, opts))());
}
