// The command tree of design §3. Each action loads its implementation on demand, so `--help`
// and unrelated commands stay fast.
import type { Command } from 'commander';
import type { Io } from './output.js';
import { createContext, type Context } from './context.js';
import type { Env } from '../client/dockerenv.js';
import { registerTrustCommands } from './trust.js';
import type { RegistryCommandOptions } from './commands/registry.js';
import type { ServerCommandOptions } from './commands/server.js';

export function registerCommands(program: Command, io: Io, env: Env, cwd: string): void {
  const run = (fn: (ctx: Context) => Promise<void>) => async (): Promise<void> => fn(createContext(io, env, cwd));

  program.command('version').description('print the version').action(() => {
    io.out(`${program.version()}\n`);
  });

  registerTrustCommands(program, run);

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
    .action((opts: RegistryCommandOptions) =>
      run(async (ctx) => (await import('./commands/registry.js')).registryCommand(ctx, opts))());
}
