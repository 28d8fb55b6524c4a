// The command tree of design §3. Each action imports its implementation on demand.
import type { Command } from 'commander';
import type { Io } from './output.js';

export function registerCommands(program: Command, io: Io): void {
  program.command('version').description('print the version').action(() => {
    io.out(`${program.version()}\n`);
  });
}
