// The command tree of design §3. Each action loads its implementation on demand, so `--help`
// and unrelated commands stay fast.
import type { Command } from 'commander';
import type { Io } from './output.js';
import { createContext, type Context } from './context.js';
import type { Env } from '../client/dockerenv.js';
import { registerTrustCommands } from './trust.js';

export function registerCommands(program: Command, io: Io, env: Env, cwd: string): void {
  const run = (fn: (ctx: Context) => Promise<void>) => async (): Promise<void> => fn(createContext(io, env, cwd));

  program.command('version').description('print the version').action(() => {
    io.out(`${program.version()}\n`);
  });

  registerTrustCommands(program, run);
}
