// Long-running commands (`vouch server`, `vouch registry`): run until SIGINT or SIGTERM, then
// close cleanly so in-flight requests finish and storage is flushed.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../client/dockerenv.js';

/** Where vouch keeps data by default: $VOUCH_DATA_DIR, else $XDG_DATA_HOME/vouch, else ~/.local/share/vouch. */
export function dataDir(env: Env): string {
  if (env.VOUCH_DATA_DIR) return env.VOUCH_DATA_DIR;
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'vouch');
}

export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
