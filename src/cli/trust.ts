// `vouch trust …`: docker trust's command surface (design §3).
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
}
