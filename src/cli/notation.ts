// `vouch notation …` beyond sign and verify: inspect, list, cert, key and policy, each group
// registered by its own function (notation's command surface, v1.3). Actions load their
// implementation on demand (src/cli/commands/notation-*.ts).
import type { Command } from 'commander';
import type { Runner } from './trust.js';
import type { NotationInspectOptions, NotationListOptions } from './commands/notation-inspect.js';
import type { CertDeleteOptions, GenerateTestOptions, StoreOptions } from './commands/notation-cert.js';
import type { KeyAddOptions, KeyUpdateOptions } from './commands/notation-key.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** notation's LoggingFlagOpts: accepted; vouch's diagnostics do not change with them. */
function logging(cmd: Command): Command {
  return cmd.option('-d, --debug', 'debug mode (accepted for notation compatibility)').option('-v, --verbose', 'verbose mode (accepted for notation compatibility)');
}

function registry(cmd: Command): Command {
  return cmd
    .option('--plain-http', 'talk plain HTTP to the registry')
    .option('--insecure-registry', "same as --plain-http (notation's name)")
    .option('--max-signatures <n>', 'maximum number of signatures to evaluate or examine', '100');
}

export function registerNotationInspectCommands(notation: Command, run: Runner): void {
  registry(logging(notation
    .command('inspect')
    .description('inspect all signatures associated with the signed artifact (notation inspect)')
    .argument('<reference>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST (with --oci-layout: DIR:TAG or DIR@sha256:DIGEST)')
    .option('-o, --output <format>', "output format, options: 'json', 'text'", 'text')
    .option('--oci-layout', 'the reference is an OCI image layout on disk (vouch addition: notation inspect reads registries only)')))
    .addHelpText('after', '\nExit status: 0 when every signature could be read, 1 when one could not (it is shown with the reason) or on failure, 2 for a usage error.')
    .action((reference: string, opts: NotationInspectOptions) =>
      run(async (ctx) => (await import('./commands/notation-inspect.js')).notationInspectCommand(ctx, reference, opts))());
  registry(logging(notation
    .command('list')
    .alias('ls')
    .description('list signatures of the signed artifact (notation list)')
    .argument('<reference>', 'REGISTRY/REPOSITORY:TAG or @sha256:DIGEST (with --oci-layout: DIR:TAG or DIR@sha256:DIGEST)')
    .option('--oci-layout', 'list signatures stored in an OCI image layout')))
    .action((reference: string, opts: NotationListOptions) =>
      run(async (ctx) => (await import('./commands/notation-inspect.js')).notationListCommand(ctx, reference, opts))());
}

const storeFlags = (cmd: Command): Command => cmd
  .option('-t, --type <type>', 'specify trust store type, options: ca, signingAuthority, tsa')
  .option('-s, --store <name>', 'specify named store');

export function registerNotationCertCommands(notation: Command, run: Runner): void {
  const cert = notation.command('certificate').alias('cert').description("manage certificates in notation's trust stores (notation cert)");
  storeFlags(cert.command('add').description('add certificates to the trust store').argument('<cert_path...>', 'PEM or DER certificate files'))
    .action((paths: string[], opts: StoreOptions) => run(async (ctx) => (await import('./commands/notation-cert.js')).notationCertAdd(ctx, paths, opts))());
  logging(storeFlags(cert.command('list').alias('ls').description('list certificates in the trust store')))
    .action((opts: StoreOptions) => run(async (ctx) => (await import('./commands/notation-cert.js')).notationCertList(ctx, opts))());
  logging(storeFlags(cert.command('show').description('show certificate details given trust store type, named store, and certificate file name').argument('<cert_fileName>', 'a file name as cert list prints it')))
    .action((file: string, opts: StoreOptions) => run(async (ctx) => (await import('./commands/notation-cert.js')).notationCertShow(ctx, file, opts))());
  storeFlags(cert.command('delete').description('delete certificates from the trust store').argument('[cert_fileName]', 'a file name as cert list prints it (or --all)'))
    .option('-a, --all', 'delete all certificates in the named store')
    .option('-y, --yes', 'do not prompt for confirmation')
    .action((file: string | undefined, opts: CertDeleteOptions) => run(async (ctx) => (await import('./commands/notation-cert.js')).notationCertDelete(ctx, file, opts))());
  cert.command('generate-test')
    .description("generate a test RSA key and a corresponding self-signed certificate; adds it to signingkeys.json and the 'ca' store NAME")
    .argument('<common_name>', 'the certificate\'s common name, also the key and store name ([a-zA-Z0-9_.-]+)')
    .option('-b, --bits <bits>', 'RSA key bits (2048, 3072 or 4096)', '2048')
    .option('--default', 'mark as default signing key')
    .action((name: string, opts: GenerateTestOptions) => run(async (ctx) => (await import('./commands/notation-cert.js')).notationCertGenerateTest(ctx, name, opts))());
}

export function registerNotationKeyCommands(notation: Command, run: Runner): void {
  const key = notation.command('key').description("manage keys used for signing: notation's signingkeys.json (notation key)");
  logging(key.command('add').description('add a plugin key to the signing key list').argument('<key_name>', 'the name to sign with (--key NAME)'))
    .option('--plugin <name>', 'signing plugin name (installed as plugins/NAME/notation-NAME in the config directory)')
    .option('--id <key_id>', 'key id (required if --plugin is set)')
    .option('--plugin-config <key=value>', 'plugin configuration (repeatable)', collect)
    .option('--default', 'mark as default')
    .action((name: string, opts: KeyAddOptions) => run(async (ctx) => (await import('./commands/notation-key.js')).notationKeyAdd(ctx, name, opts))());
  logging(key.command('update').alias('set').description('update key in the signing key list').argument('<key_name>'))
    .option('--default', 'mark as default')
    .action((name: string, opts: KeyUpdateOptions) => run(async (ctx) => (await import('./commands/notation-key.js')).notationKeyUpdate(ctx, name, opts))());
  key.command('list').alias('ls').description('list keys used for signing')
    .action(() => run(async (ctx) => (await import('./commands/notation-key.js')).notationKeyList(ctx))());
  logging(key.command('delete').alias('rm').description('remove keys from the signing key list (the key files stay)').argument('<key_name...>'))
    .action((names: string[]) => run(async (ctx) => (await import('./commands/notation-key.js')).notationKeyDelete(ctx, names))());
}

export function registerNotationPolicyCommands(notation: Command, run: Runner): void {
  const policy = notation.command('policy').description('manage the OCI trust policy in the notation config directory (notation policy)');
  policy.command('import').description('import trust policy configuration from a JSON file').argument('<file_path>')
    .option('--force', 'override the existing trust policy configuration, never prompt')
    .action((file: string, opts: { force?: boolean }) => run(async (ctx) => (await import('./commands/notation-policy.js')).notationPolicyImport(ctx, file, opts))());
  policy.command('show').description('show trust policy configuration')
    .action(() => run(async (ctx) => (await import('./commands/notation-policy.js')).notationPolicyShow(ctx))());
}
