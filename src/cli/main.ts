// The `vouch` command. Parses arguments, wires modules together, and is the only place that
// decides exit codes. Command implementations are loaded lazily so `vouch --help` stays fast.
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { EXIT, ExitStatus, printableIo, processIo, reportError, type Io } from './output.js';
import { registerCommands } from './commands.js';
import { COSIGN_BOOLEAN_FLAGS, goBooleanFlags } from './goflags.js';
import { PLUGIN_ENTRY, parsePluginInvocation, pluginMetadata } from './dockerplugin.js';
import type { Env } from '../client/dockerenv.js';

/** The package version, from src/cli (tsx) or dist/src/cli (built). */
function packageVersion(): string {
  const require = createRequire(import.meta.url);
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'vouch' && pkg.version) return pkg.version;
    } catch { /* try the next location */ }
  }
  return 'unknown';
}
const pkg = { version: packageVersion() };

export function buildProgram(io: Io, env: Env = process.env, cwd: string = process.cwd()): Command {
  const program = new Command('vouch')
    .description('Content trust for container images: sign on push, verify on pull, a Notary v1-compatible trust server.')
    .version(pkg.version, '-v, --version', 'print the version')
    // `-v` after a command name is that command's (notation's `-v, --verbose`), not the version
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  registerCommands(program, io, env, cwd);
  return program;
}

export async function main(argv: string[], rawIo: Io = processIo, env: Env = process.env, cwd: string = process.cwd()): Promise<number> {
  if (argv[2] === PLUGIN_ENTRY) return runAsDockerPlugin(argv, rawIo, env, cwd);
  const io = printableIo(rawIo);
  const program = buildProgram(io, env, cwd);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv[2] === 'cosign' ? goBooleanFlags(argv, COSIGN_BOOLEAN_FLAGS) : argv);
    return EXIT.OK;
  } catch (err) {
    if (err instanceof ExitStatus) return err.code;
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    return reportError(io, err, json);
  }
}

/** `vouch docker-cli-plugin NAME ARGS…`, as the executable of `vouch docker install` runs it for docker. */
async function runAsDockerPlugin(argv: string[], rawIo: Io, env: Env, cwd: string): Promise<number> {
  const name = argv[3] ?? '';
  let invocation;
  try {
    invocation = parsePluginInvocation(name, argv.slice(4));
  } catch (err) {
    return reportError(printableIo(rawIo), err, false);
  }
  if (invocation.kind === 'metadata') {
    rawIo.out(JSON.stringify(pluginMetadata(pkg.version)) + '\n');
    return EXIT.OK;
  }
  const pluginEnv = invocation.config !== undefined ? { ...env, DOCKER_CONFIG: invocation.config } : env;
  return main([argv[0] ?? 'node', argv[1] ?? 'vouch', 'trust', ...invocation.args], rawIo, pluginEnv, cwd);
}
