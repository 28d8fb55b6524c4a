// `vouch trust …`: docker trust's command surface (the README's command table).
import type { Command } from 'commander';
import type { Context } from './context.js';

export type Runner = (fn: (ctx: Context) => Promise<void>) => () => Promise<void>;

export function registerTrustCommands(program: Command, run: Runner): void {
  const trust = program.command('trust').description('manage trust on images: keys, signers, signatures (docker trust)');

  const key = trust.command('key').description('manage keys for signing images');
  key
    .command('generate')
    .description('generate an ECDSA P-256 signing key; the private key goes to the trust directory, NAME.pub to --dir')
    .argument('<name>', 'signer name: lowercase letters, digits, "-" and "_"')
    .option('-d, --dir <dir>', 'directory for the public key file', '.')
    .option('--json', 'print the result as JSON')
    .action((name: string, opts: { dir: string; json?: boolean }) =>
      run(async (ctx) => (await import('./commands/key.js')).keyGenerate(ctx, name, opts))());
  key
    .command('load')
    .description('import a private key file (PEM, encrypted or not) into the trust directory')
    .argument('<file>', 'private key file; must not be readable by group or others')
    .option('--name <name>', 'name (role) to store the key under', 'signer')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { name: string; json?: boolean }) =>
      run(async (ctx) => (await import('./commands/key.js')).keyLoad(ctx, file, opts))());

  key
    .command('rotate')
    .description('rotate a repository key: root (new root signed by old and new keys), targets, snapshot, or timestamp (server)')
    .argument('<repo>', 'repository, e.g. registry.example.com/team/app')
    .argument('<role>', 'root, targets, snapshot or timestamp')
    .option('-r, --server-managed', 'let the trust server hold the new key (snapshot; timestamp always is)')
    .option('--key <file>', 'use this private key (PEM) instead of generating one')
    .option('--trust-pinning <file>', "notary client config whose trust_pinning pins the root (certs, ca, disable_tofu)")
    .action((repo: string, role: string, opts: { serverManaged?: boolean; key?: string; trustPinning?: string }) =>
      run(async (ctx) => (await import('./commands/trust-key-rotate.js')).trustKeyRotate(ctx, repo, role, opts))());

  const signer = trust.command('signer').description('manage entities who can sign images (targets/<name> and targets/releases)');
  signer
    .command('add')
    .description('add a signer: its keys go into targets/NAME and targets/releases (initialises the repository when needed)')
    .argument('<name>', 'signer name: lowercase letters, digits, "-" and "_"')
    .argument('<repo...>', 'repositories')
    .option('--key <file>', "the signer's public key file (PUBLIC KEY or CERTIFICATE PEM); repeatable", collect, [])
    .option('--paths <prefixes>', 'restrict targets/NAME to tags starting with these prefixes (comma-separated, repeatable, e.g. prod-); default: every tag', collectPaths)
    .option('--trust-pinning <file>', "notary client config whose trust_pinning pins the root")
    .action((name: string, repos: string[], opts: { key: string[]; paths?: string[]; trustPinning?: string }) =>
      run(async (ctx) => (await import('./commands/trust-signer.js')).trustSignerAdd(ctx, name, repos, opts))());
  signer
    .command('remove')
    .description("remove a signer: its keys leave targets/releases and targets/NAME is deleted")
    .argument('<name>', 'signer name')
    .argument('<repo...>', 'repositories')
    .option('-f, --force', 'do not ask, even if this is the last signer of the released tags')
    .option('--trust-pinning <file>', "notary client config whose trust_pinning pins the root")
    .action((name: string, repos: string[], opts: { force?: boolean; trustPinning?: string }) =>
      run(async (ctx) => (await import('./commands/trust-signer.js')).trustSignerRemove(ctx, name, repos, opts))());

  trust
    .command('sign')
    .description("sign a tag: its manifest digest and size come from the registry (no docker daemon needed), or stay as already signed")
    .argument('<image:tag>', 'image reference with a tag')
    .option('--digest <digest>', 'sign this manifest digest (sha256:…) instead of asking the registry; needs --size')
    .option('--size <bytes>', 'manifest size in bytes, with --digest')
    .option('--trust-pinning <file>', "notary client config whose trust_pinning pins the root")
    .action((image: string, opts: { digest?: string; size?: string; trustPinning?: string }) =>
      run(async (ctx) => (await import('./commands/trust-sign.js')).trustSign(ctx, image, opts))());

  trust
    .command('revoke')
    .description('remove trust for a tag, or for every tag of a repository, from the roles you can sign')
    .argument('<image[:tag]>', 'image reference; without a tag, every signed tag')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--trust-pinning <file>', "notary client config whose trust_pinning pins the root")
    .action((image: string, opts: { yes?: boolean; trustPinning?: string }) =>
      run(async (ctx) => (await import('./commands/trust-sign.js')).trustRevoke(ctx, image, opts))());

  trust
    .command('inspect')
    .description('show signed tags, signers and keys, exactly as docker trust inspect (JSON by default)')
    .argument('<image[:tag]...>', 'image references')
    .option('--pretty', 'human-readable tables')
    .option('--json', 'JSON (the default)')
    .option('--trust-pinning <file>', "notary client config whose trust_pinning pins the root")
    .action((images: string[], opts: { pretty?: boolean; json?: boolean; trustPinning?: string }) =>
      run(async (ctx) => (await import('./commands/trust-inspect.js')).trustInspect(ctx, images, opts))());

  trust
    .command('archive')
    .description("save a repository's verified trust data (every root version, targets, delegations, snapshot, timestamp) as an OCI artifact, for `vouch verify --dct-archive` offline")
    .argument('<repo>', 'repository, e.g. registry.example.com/team/app')
    .requiredOption('--to <location>', 'oci:DIR[:TAG] (an OCI layout) or REGISTRY/REPOSITORY[:TAG]; the tag defaults to dct-archive')
    .option('--json', 'print the result as JSON')
    .option('--trust-pinning <file>', "notary client config whose trust_pinning pins the root")
    .addHelpText('after', '\nThe archive shows later, with no trust server, who had signed which digest; it cannot show that the data\nstayed current (see docs/migrate.md). Exit status: 0 when archived, 1 when not, 2 for a usage error.')
    .action((repo: string, opts: { to: string; json?: boolean; trustPinning?: string }) =>
      run(async (ctx) => (await import('./commands/trust-archive.js')).trustArchive(ctx, repo, opts))());
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Tags cannot contain commas, so `--paths prod-,hotfix-` is two prefixes; `--paths ""` allows every tag. */
function collectPaths(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',')];
}
