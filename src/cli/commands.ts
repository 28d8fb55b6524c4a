// The command tree of the README's command table. Each action loads its implementation on demand, so `--help`
// and unrelated commands stay fast.
import type { Command } from 'commander';
import type { Io } from './output.js';
import { createContext, type Context } from './context.js';
import type { Env } from '../client/dockerenv.js';
import { dockerContentTrustWarning } from '../client/dockerhub.js';
import { registerTrustCommands } from './trust.js';
import { registerNotationCertCommands, registerNotationInspectCommands, registerNotationKeyCommands, registerNotationPolicyCommands } from './notation.js';
import type { RegistryCommandOptions } from './commands/registry.js';
import type { AdmissionCommandOptions, AdmissionManifestsOptions } from './commands/admission.js';
import type { ServerCommandOptions } from './commands/server.js';
import type { PullCommandOptions, PushCommandOptions } from './commands/image.js';
import type { VerifyCommandOptions } from './commands/verify.js';
import type { PinCommandOptions } from './commands/pin.js';
import type { StatusCommandOptions } from './commands/status.js';
import type { DockerInstallOptions } from './commands/docker.js';
import type { CosignAttestOptions, CosignSignBlobOptions, CosignSignOptions, CosignVerifyAttestationOptions, CosignVerifyBlobOptions, CosignVerifyOptions } from './commands/cosign.js';
import type { CosignTreeOptions, CosignTriangulateOptions } from './commands/cosign-tree.js';
import type { MigrateCommandOptions } from './commands/migrate.js';
import type { NotationSignOptions, NotationVerifyCommandOptions } from './commands/notation.js';
import type { BlobSignCommandOptions, BlobVerifyCommandOptions } from './commands/notation-blob.js';
import { DEFAULT_REGISTRY_LIMITS as REG } from '../registry/limits.js';
import type { GateCommandOptions } from './commands/gate.js';
import { DEFAULT_CACHE_TTL_MS, DEFAULT_REQUEST_DEADLINE_MS } from '../gate/defaults.js';

const gib = (n: number): string => `${n / 1024 ** 3}GiB`;

export function registerCommands(program: Command, io: Io, env: Env, cwd: string): void {
  const run = (fn: (ctx: Context) => Promise<void>) => async (): Promise<void> => {
    // docker v29+ ignores DOCKER_CONTENT_TRUST: whoever set it believes docker verifies, so say it does not.
    const warning = dockerContentTrustWarning(env);
    if (warning !== undefined) io.err(`WARN: ${warning}\n`);
    return fn(createContext(io, env, cwd));
  };

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
    .option('--dct-archive <location>', 'use archived trust data (vouch trust archive: oci:DIR[:TAG] or REGISTRY/REPO[:TAG]) instead of the trust server: historical evidence, offline')
    .addHelpText('after', '\nExit status: 0 when every image is allowed (audit-mode failures are reported but allowed), 1 when any is denied\nor its trust data cannot be verified, 2 for a usage error. See docs/verify.md.')
    .action((images: string[], opts: VerifyCommandOptions) =>
      run(async (ctx) => (await import('./commands/verify.js')).verifyCommand(ctx, images, opts))());

  program
    .command('status')
    .description('what stops verifying, and when: the expiry of every role and root certificate, of Notation signatures and their certificates, who renews it, signed tags per signer, keys')
    .argument('[repository...]', 'repositories (GUNs) to check, e.g. registry.example.com/team/app, or images (REPO:TAG, REPO@DIGEST) whose Notation signatures to check')
    .option('--all', 'every repository of the trust server in DOCKER_CONTENT_TRUST_SERVER (read from its changefeed)')
    .option('--no-signatures', 'DCT trust data only: do not read the images\' Notation signatures from the registry')
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

  const docker = program
    .command('docker')
    .description('docker integration: `docker trust` as a docker CLI plugin for docker v29+, which removed it');
  docker
    .command('install')
    .description('install the docker CLI plugin docker-NAME, so `docker trust key/signer/sign/revoke/inspect` run vouch')
    .option('--name <name>', 'plugin (command) name: lower-case letters and digits', 'trust')
    .option('--dir <dir>', 'plugin directory (default $DOCKER_CONFIG/cli-plugins, i.e. ~/.docker/cli-plugins)')
    .option('-f, --force', 'replace a file of that name that vouch did not write')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nThe plugin runs this copy of vouch with this Node.js. docker 28 and older keep their own `docker trust`, which\nwins over a plugin of the same name. Exit status: 0 when installed, 1 when not, 2 for a usage error.')
    .action((opts: DockerInstallOptions) =>
      run(async (ctx) => (await import('./commands/docker.js')).dockerInstallCommand(ctx, opts))());

  const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
  const notation = program
    .command('notation')
    .description('Notation (Notary Project) signatures as OCI artifacts, like the notation CLI: sign, verify, inspect, list, blob signatures, plugins; notation\'s trust stores, signing keys and trust policy (docs/notation.md)');
  notation
    .command('sign')
    .description('sign an artifact in a registry or an OCI layout; the signature is pushed next to it (notation sign)')
    .argument('<reference>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST (with --oci-layout: DIR:TAG or DIR@sha256:DIGEST)')
    .option('-k, --key <name|file>', "a key of notation's signingkeys.json (default: its default key); with --cert: a PEM key file (PKCS#8, PKCS#1 or SEC1, unencrypted)")
    .option('--cert <file>', 'the PEM certificate chain of --key FILE (leaf first, ending in the root)')
    .option('--signature-format <format>', 'signature envelope format: jws or cose', 'jws')
    .option('-e, --expiry <duration>', 'the signature expires after this long (a Go duration: 24h, 30m, 1h30m)')
    .option('-m, --user-metadata <key=value>', 'metadata to add to the signed payload (repeatable)', collect)
    .option('--oci-layout', 'the reference is an OCI image layout on disk (DIR:TAG or DIR@DIGEST); works offline')
    .option('--plain-http', 'talk plain HTTP to the registry')
    .option('--insecure-registry', 'same as --plain-http (notation\'s name)')
    .option('--plugin <name>', "sign with a key held by this plugin (<notation config>/plugins/NAME/notation-NAME); needs --id")
    .option('--id <keyid>', 'the key id known to --plugin')
    .option('--plugin-config <key=value>', 'configuration passed to the signing plugin (repeatable; overrides the key\'s pluginConfig)', collect)
    .option('--plugin-timeout <duration>', 'stop a plugin command that runs longer (a Go duration)', '2m')
    .option('--timestamp-url <url>', 'RFC 3161 Timestamping Authority (TSA) server URL (with --timestamp-root-cert)')
    .option('--timestamp-root-cert <file>', 'filepath of timestamp authority root certificate (with --timestamp-url)')
    .addHelpText('after', '\nExit status: 0 when signed, 1 when not, 2 for a usage error.')
    .action((reference: string, opts: NotationSignOptions) =>
      run(async (ctx) => (await import('./commands/notation.js')).notationSignCommand(ctx, reference, opts))());
  notation
    .command('verify')
    .description("verify an artifact's Notation signatures against notation's trust policy and trust stores (notation verify); several references are verified in one process")
    .argument('<reference...>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST (with --oci-layout: DIR:TAG or DIR@sha256:DIGEST); one or more')
    .option('-m, --user-metadata <key=value>', 'metadata the signature must carry (repeatable)', collect)
    .option('--oci-layout', 'the reference is an OCI image layout on disk (needs --scope); works offline')
    .option('--scope <scope>', 'with --oci-layout: the trust policy scope to verify under, e.g. local/app')
    .option('--max-signatures <n>', 'try at most this many signatures', '100')
    .option('--trust-policy <file>', 'the trust policy file (default: trustpolicy.oci.json, else trustpolicy.json, in the notation config directory)')
    .option('-o, --output <format>', 'text or json (the verdict with every check)', 'text')
    .option('--plain-http', 'talk plain HTTP to the registry')
    .option('--insecure-registry', 'same as --plain-http (notation\'s name)')
    .option('--plugin-config <key=value>', 'configuration passed to the verification plugin a signature names (repeatable)', collect)
    .option('--plugin-timeout <duration>', 'stop a plugin command that runs longer (a Go duration)', '2m')
    .option('--crl-offline', 'check revocation with cached CRLs only (notation\'s CRL cache): no OCSP, no CRL fetched')
    .addHelpText('after', '\nThe notation config directory is $XDG_CONFIG_HOME/notation (default ~/.config/notation): trust stores in\ntruststore/x509/{ca,signingAuthority,tsa}/NAME/; CRLs cached in $XDG_CACHE_HOME/notation/crl (default ~/.cache/notation/crl).\nExit status: 0 when a signature verifies (for every reference), 1 when none does (for any), 2 for a usage error.')
    .action((references: string[], opts: NotationVerifyCommandOptions) =>
      run(async (ctx) => (await import('./commands/notation.js')).notationVerifyCommand(ctx, references, opts))());
  notation
    .command('plugin')
    .description('Notation plugins in <notation config>/plugins (notation plugin)')
    .command('list')
    .alias('ls')
    .description('list the installed plugins with their metadata, or why one cannot be used (notation plugin list)')
    .option('--plugin-timeout <duration>', 'stop a plugin command that runs longer (a Go duration)', '2m')
    .action((opts: { pluginTimeout?: string }) =>
      run(async (ctx) => (await import('./commands/notation.js')).notationPluginListCommand(ctx, opts))());
  registerNotationInspectCommands(notation, run);
  registerNotationCertCommands(notation, run);
  registerNotationKeyCommands(notation, run);
  registerNotationPolicyCommands(notation, run);

  const blob = notation
    .command('blob')
    .description('detached Notation signatures of files: sign, verify, inspect; the blob trust policy (notation blob)');
  blob
    .command('sign')
    .description('sign a file; the signature is written to <file name>.<format>.sig (notation blob sign)')
    .argument('<blob_path>', 'the file to sign')
    .option('-k, --key <name|file>', "a key of notation's signingkeys.json (default: its default key); with --cert: a PEM key file")
    .option('--cert <file>', 'the PEM certificate chain of --key FILE (leaf first, ending in the root)')
    .option('--signature-format <format>', 'signature envelope format: jws or cose', 'jws')
    .option('--media-type <type>', 'media type of the blob', 'application/octet-stream')
    .option('--signature-directory <dir>', 'directory where the signature file is placed (default: the current directory, as notation v2.0.0-alpha.1)')
    .option('--force', 'overwrite an existing signature file')
    .option('-e, --expiry <duration>', 'the signature expires after this long (a Go duration: 24h, 30m, 1h30m)')
    .option('-m, --user-metadata <key=value>', 'metadata to add to the signed payload (repeatable)', collect)
    .option('--timestamp-url <url>', 'RFC 3161 Timestamping Authority (TSA) server URL (with --timestamp-root-cert)')
    .option('--timestamp-root-cert <file>', 'filepath of timestamp authority root certificate (with --timestamp-url)')
    .addHelpText('after', '\nExit status: 0 when signed, 1 when not, 2 for a usage error.')
    .action((blobPath: string, opts: BlobSignCommandOptions) =>
      run(async (ctx) => (await import('./commands/notation-blob.js')).blobSignCommand(ctx, blobPath, opts))());
  blob
    .command('verify')
    .description("verify a file's detached signature against notation's trustpolicy.blob.json (notation blob verify)")
    .argument('<blob_path>', 'the file the signature is for')
    .option('--signature <file>', 'the signature file (<name>.jws.sig or <name>.cose.sig)')
    .option('--policy-name <name>', 'the blob trust policy statement to verify against (default: the global one)')
    .option('--media-type <type>', 'the media type the signature must name for the blob')
    .option('-m, --user-metadata <key=value>', 'metadata the signature must carry (repeatable)', collect)
    .option('-o, --output <format>', 'text or json (the verdict with every check)', 'text')
    .addHelpText('after', '\nExit status: 0 when the signature verifies, 1 when not, 2 for a usage error.')
    .action((blobPath: string, opts: BlobVerifyCommandOptions) =>
      run(async (ctx) => (await import('./commands/notation-blob.js')).blobVerifyCommand(ctx, blobPath, opts))());
  blob
    .command('inspect')
    .description('show what a blob signature says (notation blob inspect)')
    .argument('<signature_path>', 'the signature file (<name>.jws.sig or <name>.cose.sig)')
    .option('-o, --output <format>', 'tree or json', 'tree')
    .action((signaturePath: string, opts: { output: string }) =>
      run(async (ctx) => (await import('./commands/notation-blob.js')).blobInspectCommand(ctx, signaturePath, opts))());
  const blobPolicy = blob.command('policy').description("notation's blob trust policy, trustpolicy.blob.json (notation blob policy)");
  blobPolicy
    .command('import')
    .description('validate a blob trust policy file and install it as trustpolicy.blob.json')
    .argument('<file>', 'the blob trust policy JSON')
    .option('--force', 'overwrite an existing blob trust policy')
    .action((file: string, opts: { force?: boolean }) =>
      run(async (ctx) => (await import('./commands/notation-blob.js')).blobPolicyImportCommand(ctx, file, opts))());
  blobPolicy
    .command('show')
    .description('print trustpolicy.blob.json')
    .action(() => run(async (ctx) => (await import('./commands/notation-blob.js')).blobPolicyShowCommand(ctx))());

  program
    .command('migrate')
    .description('carry DCT-signed tags over to OCI signatures: one per (tag, DCT signer role), made with the key mapped to that role')
    .argument('<repo...>', 'REPOSITORY (every signed tag) or REPOSITORY:TAG')
    .requiredOption('--map <file>', "YAML or JSON: signers: { targets/releases: { cosign: release.key, notation: release }, alice: { notation: { key: alice.key, cert: alice.crt } } }")
    .option('--to <kinds>', 'signature kinds to make: cosign, notation, or both (notation,cosign)', 'cosign')
    .option('--signature-format <format>', 'envelope of Notation signatures: jws or cose', 'jws')
    .option('--write-policy <file>', 'also write the policy that gives the new signers the trust the DCT signers had (signers map + one rule per repository)')
    .option('--policy <file>', 'with --write-policy: the policy in force under DCT (default $VOUCH_POLICY, else the built-in one)')
    .option('--dry-run', 'print the plan, sign nothing')
    .option('--check', 'sign nothing; exit 1 while any DCT-signed tag lacks its OCI signature')
    .option('--json', 'print the plan or the outcome as JSON')
    .option('--trust-pinning <file>', 'notary client config with trust_pinning (root key IDs or CAs)')
    .addHelpText('after', '\nEach signature carries its provenance in the signed payload (dev.vouch.dct.gun, .role, .keyids, .version). A second\nrun signs nothing new. Keys: cosign.key files (COSIGN_PASSWORD); Notation: a key of notation signingkeys.json, or { key, cert } PEM files. Exit status: 0 when done (or, with --check, nothing\nis missing), 1 when a tag was refused or (--check) something is missing, 2 for a usage error. See docs/migrate.md.')
    .action((images: string[], opts: MigrateCommandOptions) =>
      run(async (ctx) => (await import('./commands/migrate.js')).migrateCommand(ctx, images, opts))());

  const cosign = program
    .command('cosign')
    .description('cosign signatures and attestations (Sigstore bundles as OCI referrers, or the legacy .sig/.att tags; key-based, keyless verification offline), like the cosign CLI: keys, sign, verify, attest, verify-attestation, sign-blob, verify-blob, triangulate, tree (docs/cosign.md)');
  cosign
    .command('generate-key-pair')
    .description('generate an ECDSA P-256 key pair: cosign.key (encrypted with COSIGN_PASSWORD) and cosign.pub')
    .option('--output-key-prefix <prefix>', 'name of the key files, without extension', 'cosign')
    .option('-y, --yes', 'overwrite existing key files')
    .addHelpText('after', '\nThe password comes from COSIGN_PASSWORD (it may be empty), else a prompt on a terminal.')
    .action((opts: { outputKeyPrefix: string; yes?: boolean }) =>
      run(async (ctx) => (await import('./commands/cosign.js')).cosignGenerateKeyPair(ctx, opts))());
  cosign
    .command('import-key-pair')
    .description('import a PEM private key (PKCS#8, EC or RSA) as an encrypted cosign key pair')
    .requiredOption('-k, --key <file>', 'the PEM private key to import')
    .option('--output-key-prefix <prefix>', 'name of the key files, without extension', 'import-cosign')
    .option('-y, --yes', 'overwrite existing key files')
    .action((opts: { key: string; outputKeyPrefix: string; yes?: boolean }) =>
      run(async (ctx) => (await import('./commands/cosign.js')).cosignImportKeyPair(ctx, opts))());
  const formatHelp = 'a Sigstore bundle as an OCI 1.1 referrer (the default, as cosign v3); --new-bundle-format=false: the legacy tag';
  cosign
    .command('sign')
    .description('sign images with a cosign key: a Sigstore bundle referring to the image (default), or the sha256-<hex>.sig tag (or $COSIGN_REPOSITORY)')
    .argument('<image...>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST')
    .requiredOption('--key <file>', 'cosign.key (COSIGN_PASSWORD decrypts it)')
    .option('-a, --annotations <key=value>', 'extra key=value pairs to sign (repeatable)', collect)
    .option('--tlog-upload', 'upload to a transparency log (the default; vouch cannot reach one: pass --tlog-upload=false)')
    .option('--no-tlog-upload', 'do not upload to a transparency log')
    .option('--new-bundle-format', formatHelp)
    .option('--no-new-bundle-format', 'write the legacy sha256-<hex>.sig tag (cosign v2\'s format)')
    .option('--use-signing-config', 'accepted, as cosign v3; vouch reaches no signing-config services')
    .option('--no-use-signing-config', 'accepted, as cosign v3')
    .option('-y, --yes', 'skip confirmation prompts (accepted, as cosign)')
    .addHelpText('after', '\nExit status: 0 when signed, 1 when not, 2 for a usage error.')
    .action((images: string[], opts: CosignSignOptions) =>
      run(async (ctx) => (await import('./commands/cosign.js')).cosignSign(ctx, images, opts))());
  const keylessFlags = (c: Command): Command => c
    .option('--certificate-identity <identity>', 'keyless: the signer identity the certificate must name (its subject alternative name)')
    .option('--certificate-identity-regexp <regexp>', 'keyless: a regular expression the certificate identity must match')
    .option('--certificate-oidc-issuer <url>', 'keyless: the OIDC issuer the certificate must name')
    .option('--certificate-oidc-issuer-regexp <regexp>', 'keyless: a regular expression the OIDC issuer must match')
    .option('--certificate-github-workflow-trigger <event>', 'keyless: the GitHub workflow trigger (certificate extension 1.3.6.1.4.1.57264.1.2)')
    .option('--certificate-github-workflow-sha <sha>', 'keyless: the GitHub workflow commit (1.3.6.1.4.1.57264.1.3)')
    .option('--certificate-github-workflow-name <name>', 'keyless: the GitHub workflow name (1.3.6.1.4.1.57264.1.4)')
    .option('--certificate-github-workflow-repository <owner/repo>', 'keyless: the GitHub workflow repository (1.3.6.1.4.1.57264.1.5)')
    .option('--certificate-github-workflow-ref <ref>', 'keyless: the GitHub workflow ref (1.3.6.1.4.1.57264.1.6)')
    .option('--trusted-root <file>', 'keyless: a Sigstore trusted_root.json (Fulcio CAs, Rekor, CT logs, timestamp authorities); nothing is fetched')
    .option('--insecure-ignore-tlog', 'do not require a transparency-log entry (with --key vouch needs it: --insecure-ignore-tlog=true)')
    .option('--no-insecure-ignore-tlog', 'require a transparency-log entry');
  cosign
    .command('attest')
    .description('attest images with a cosign key: an in-toto statement of the predicate in a DSSE envelope, as a Sigstore bundle referring to the image (default) or in the sha256-<hex>.att tag')
    .argument('<image...>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST')
    .requiredOption('--key <file>', 'cosign.key (COSIGN_PASSWORD decrypts it)')
    .requiredOption('--predicate <file>', 'path to the predicate file')
    .option('--type <type>', 'slsaprovenance|slsaprovenance02|slsaprovenance1|link|spdx|spdxjson|cyclonedx|vuln|openvex|custom, or a URI', 'custom')
    .option('--tlog-upload', 'upload to a transparency log (the default; vouch cannot reach one: pass --tlog-upload=false)')
    .option('--no-tlog-upload', 'do not upload to a transparency log')
    .option('--new-bundle-format', formatHelp)
    .option('--no-new-bundle-format', 'write the legacy sha256-<hex>.att tag (cosign v2\'s format)')
    .option('--use-signing-config', 'accepted, as cosign v3; vouch reaches no signing-config services')
    .option('--no-use-signing-config', 'accepted, as cosign v3')
    .option('-y, --yes', 'skip confirmation prompts (accepted, as cosign)')
    .addHelpText('after', '\nExit status: 0 when attested, 1 when not, 2 for a usage error.')
    .action((images: string[], opts: CosignAttestOptions) =>
      run(async (ctx) => (await import('./commands/cosign.js')).cosignAttest(ctx, images, opts))());
  keylessFlags(cosign
    .command('verify')
    .description('verify cosign signatures of images (bundles and the legacy .sig tag) with a public key, or keyless against a trusted root; prints the verified payloads as JSON')
    .argument('<image...>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST')
    .option('--key <file>', 'cosign.pub (without it: keyless, with --certificate-identity, --certificate-oidc-issuer and --trusted-root)')
    .option('-a, --annotations <key=value>', 'key=value pairs the signed payload must carry (repeatable)', collect)
    .option('--new-bundle-format', 'read Sigstore bundles among the referrers as well as the legacy tag (the default)')
    .option('--no-new-bundle-format', 'read the legacy sha256-<hex>.sig tag only')
    .option('-o, --output <format>', 'json (default) or text', 'json'))
    .addHelpText('after', '\nChecks go to stderr, the verified payloads to stdout. Exit status: 0 when every image has a verified\nsignature, 1 when one has none, 2 for a usage error.')
    .action((images: string[], opts: CosignVerifyOptions) =>
      run(async (ctx) => (await import('./commands/cosign.js')).cosignVerify(ctx, images, opts))());
  cosign
    .command('sign-blob')
    .description('sign a file with a cosign key; prints the base64 signature (or writes --output-signature, --bundle)')
    .argument('<blob>', 'the file to sign')
    .requiredOption('--key <file>', 'cosign.key (COSIGN_PASSWORD decrypts it)')
    .option('--bundle <file>', "write cosign's bundle file (a Sigstore bundle with --new-bundle-format)")
    .option('--output-signature <file>', 'write the base64 signature to this file instead of stdout')
    .option('--new-bundle-format', 'write a Sigstore bundle v0.3 to --bundle')
    .option('--no-new-bundle-format', "write cosign's older bundle file")
    .option('--tlog-upload', 'upload to a transparency log (the default; vouch cannot reach one: pass --tlog-upload=false)')
    .option('--no-tlog-upload', 'do not upload to a transparency log')
    .option('-y, --yes', 'skip confirmation prompts (accepted, as cosign)')
    .action((blobPath: string, opts: CosignSignBlobOptions) =>
      run(async (ctx) => (await import('./commands/cosign.js')).cosignSignBlob(ctx, blobPath, opts))());
  keylessFlags(cosign
    .command('verify-blob')
    .description('verify a signature of a file with a public key, or keyless against a trusted root; "Verified OK" on stderr')
    .argument('<blob>', 'the signed file')
    .option('--key <file>', 'cosign.pub (without it: keyless)')
    .option('--signature <file>', 'the signature (base64, as sign-blob writes it)')
    .option('--bundle <file>', "cosign's bundle file or a Sigstore bundle (v0.1 to v0.3)")
    .option('--certificate <file>', 'keyless: the signing certificate (PEM), with --signature')
    .option('--certificate-chain <file>', 'keyless: its chain (PEM)')
    .option('--rfc3161-timestamp <file>', "keyless: cosign's RFC 3161 timestamp file")
    .option('--new-bundle-format', 'accepted: the bundle format is read from the file')
    .option('--no-new-bundle-format', 'accepted: the bundle format is read from the file'))
    .addHelpText('after', '\nExit status: 0 when the signature verifies, 1 when not, 2 for a usage error.')
    .action((blobPath: string, opts: CosignVerifyBlobOptions) =>
      run(async (ctx) => (await import('./commands/cosign.js')).cosignVerifyBlob(ctx, blobPath, opts))());
  keylessFlags(cosign
    .command('verify-attestation')
    .description('verify cosign attestations of images (bundles and the legacy .att tag) with a public key, or keyless against a trusted root; prints the verified DSSE envelopes')
    .argument('<image...>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST')
    .option('--key <file>', 'cosign.pub (without it: keyless, with --certificate-identity, --certificate-oidc-issuer and --trusted-root)')
    .option('--type <type>', 'the predicate type to look for: a --type name of attest, or a URI', 'custom')
    .option('-a, --annotations <key=value>', 'key=value pairs the statement\'s subject must carry (repeatable)', collect)
    .option('--new-bundle-format', 'read Sigstore bundles among the referrers as well as the legacy tag (the default)')
    .option('--no-new-bundle-format', 'read the legacy sha256-<hex>.att tag only'))
    .addHelpText('after', '\nChecks go to stderr, one verified envelope per line to stdout. Exit status: 0 when every image has a\nverified attestation of the type, 1 when one has none, 2 for a usage error.')
    .action((images: string[], opts: CosignVerifyAttestationOptions) =>
      run(async (ctx) => (await import('./commands/cosign.js')).cosignVerifyAttestation(ctx, images, opts))());
  cosign
    .command('triangulate')
    .description('print where cosign stores an image\'s signatures (or attestations, SBOMs, the digest reference): sha256-<hex>.sig in its repository or $COSIGN_REPOSITORY')
    .argument('<image>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST')
    .option('--type <type>', 'signature, attestation, sbom or digest', 'signature')
    .option('--allow-http-registry', 'accepted, as cosign (loopback registries without TLS are reached over http anyway)')
    .option('--allow-insecure-registry', 'accepted, as cosign')
    .action((image: string, opts: CosignTriangulateOptions) =>
      run(async (ctx) => (await import('./commands/cosign-tree.js')).cosignTriangulate(ctx, image, opts))());
  cosign
    .command('tree')
    .description('show an image\'s cosign signatures, attestations and SBOMs (their tags) and its OCI referrers, as cosign tree does')
    .argument('<image>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST')
    .option('--experimental-oci11', 'list OCI referrers too (the default, as cosign v3)')
    .option('--no-experimental-oci11', 'only the legacy tags (cosign v2\'s default)')
    .option('--registry-referrers-mode <mode>', 'legacy or oci-1-1 (lists referrers)')
    .option('--allow-http-registry', 'accepted, as cosign (loopback registries without TLS are reached over http anyway)')
    .option('--allow-insecure-registry', 'accepted, as cosign')
    .action((image: string, opts: CosignTreeOptions) =>
      run(async (ctx) => (await import('./commands/cosign-tree.js')).cosignTree(ctx, image, opts))());

  program
    .command('server')
    .description('run the trust server (Notary v1 API, as notary-server); accepts notary-server\'s config.json')
    .option('--config <file>', 'notary-server style config.json (server, storage, trust_service, auth, caching, repositories)')
    .option('--addr <host:port>', 'address to listen on (default 127.0.0.1:4443; :PORT is every interface)')
    .option('--storage <url>', 'memory, sqlite:PATH or postgres://user:pass@host:port/db (default SQLite in the data dir)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--data-dir <dir>', 'where the default database and the key secret live (default $VOUCH_DATA_DIR/server)')
    .option('--key-algorithm <alg>', 'algorithm of new server-held keys: ecdsa or ed25519')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent')
    .option('--workers <n>', 'serve from n processes sharing the port and the database (SQLite or PostgreSQL storage); default 1')
    .option('--ui', 'also serve the read-only dashboard at /_vouch/ui/ (behind the same token auth as the API; config key vouch.ui)')
    .option('--ui-registry <prefix>', 'the dashboard also shows the Notation signatures of repositories under this GUN prefix, read from the registry the GUN names (or PREFIX=REGISTRY/PATH); repeatable; config key vouch.ui_registries', (v: string, all: string[] = []) => [...all, v])
    .addHelpText('after', '\nServer-held keys are encrypted with VOUCH_SERVER_KEY_SECRET, or a secret generated into the data dir.')
    .action((opts: ServerCommandOptions) =>
      run(async (ctx) => (await import('./commands/server.js')).serverCommand(ctx, opts))());

  program
    .command('registry')
    .description('run the embedded OCI registry (filesystem storage)')
    .option('--addr <host:port>', 'address to listen on (:PORT is every interface)', '127.0.0.1:5000')
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

  const admission = program
    .command('admission')
    .description('run the Kubernetes admission webhook: AdmissionReview v1 at /validate and /mutate (pins tags to verified digests); docs/admission.md')
    .option('--addr <host:port>', 'address to listen on (:PORT is every interface)', ':8443')
    .option('--tls-cert <file>', 'serving certificate (PEM); the API server calls webhooks over HTTPS only')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--policy <file>', 'trust policy file (docs/policy.md); default $VOUCH_POLICY, else the built-in policy')
    .option('--trust-pinning <file>', 'notary client config with trust_pinning (root key IDs or CAs)')
    .option('--audit', 'allow everything; what would be denied comes back as warnings')
    .option('--failure-policy <policy>', 'an image without a verdict (trust server out of reach, deadline): fail (deny, default) or ignore (allow with a warning)')
    .option('--config <file>', 'YAML or JSON with excludeNamespaces and excludeImages lists')
    .option('--exclude-namespace <name>', 'do not check this namespace (* matches any characters); repeatable', (v: string, all: string[] = []) => [...all, v])
    .option('--exclude-image <pattern>', 'do not check images of repositories matching this pattern (e.g. registry.k8s.io/**); repeatable', (v: string, all: string[] = []) => [...all, v])
    .option('--deadline <seconds>', 'spend at most this long on one review (default 80% of the API server\'s timeout)')
    .option('--cache-ttl <seconds>', 'reuse a verdict at most this long, never past the expiry of its trust data (default 60)')
    .option('--max-concurrent <n>', 'verifications at once (default 16)')
    .option('--max-body <bytes>', 'largest AdmissionReview read (default 6 MiB)')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent (default info)')
    .action((opts: AdmissionCommandOptions) =>
      run(async (ctx) => (await import('./commands/admission.js')).admissionCommand(ctx, opts))());
  admission
    .command('manifests')
    .description('print the Kubernetes objects that run the webhook: TLS Secret, policy ConfigMap, Deployment, Service, PodDisruptionBudget, both webhook configurations')
    .requiredOption('--namespace <ns>', 'namespace to run in')
    .requiredOption('--cert <file>', 'serving certificate (PEM), valid for NAME.NAMESPACE.svc')
    .requiredOption('--key <file>', 'its private key (PEM)')
    .option('--ca <file>', 'CA bundle the API server verifies the certificate with (default: the certificate, self-signed)')
    .option('--image <image>', 'the vouch image to run (default vouch:VERSION)')
    .option('--policy <file>', 'trust policy to put in a ConfigMap')
    .option('--name <name>', 'name of the Deployment, Service and webhook configurations (default vouch-admission)')
    .option('--replicas <n>', 'replicas (default 2)')
    .option('--failure-policy <policy>', 'fail (default) or ignore, in the webhook configurations and the webhook')
    .option('--timeout-seconds <n>', 'the API server waits this long for the webhook (1 to 30, default 10)')
    .option('--audit', 'run the webhook in audit mode')
    .action((opts: AdmissionManifestsOptions) =>
      run(async (ctx) => (await import('./commands/admission.js')).admissionManifestsCommand(ctx, opts, program.version() ?? '0.0.0'))());
  program
    .command('gate')
    .description('run a registry gate: an OCI registry endpoint in front of upstream registries that serves an image only when the trust policy is met (docs/gate.md)')
    .option('--upstream <[prefix=]url>', 'upstream registry for every name, or for the names under PREFIX (repeatable)', collect)
    .option('--config <file>', 'upstreams with credentials, CAs and trust servers (YAML or JSON, docs/gate.md); instead of --upstream')
    .option('--addr <host:port>', 'address to listen on (:PORT is every interface)', '127.0.0.1:5050')
    .option('--policy <file>', 'trust policy file (docs/policy.md); default $VOUCH_POLICY, else the built-in policy')
    .option('--allow-push', 'pass pushes to the upstream (default: refused with DENIED)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--user <name>', 'require HTTP Basic auth as this user; the password comes from VOUCH_GATE_PASSWORD')
    .option('--cache-ttl <seconds>', `keep verdicts and verified trust data at most this long (never past the trust data's expiry; 0: none); default ${DEFAULT_CACHE_TTL_MS / 1000}`)
    .option('--deadline <seconds>', `answer a manifest request (or start a blob) within this long, else 503 UNAVAILABLE; default ${DEFAULT_REQUEST_DEADLINE_MS / 1000}`)
    .option('--trust-pinning <file>', 'notary client config with trust_pinning (root key IDs or CAs)')
    .option('--log', 'log every request as JSON to stderr')
    .action((opts: GateCommandOptions) =>
      run(async (ctx) => (await import('./commands/gate.js')).gateCommand(ctx, opts))());
}
