// Temporary directories a test file makes as it goes and removes when it ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ScratchDirs {
  /** a new directory under the system's temporary directory, named `prefix` + random characters */
  tempDir(prefix: string): Promise<string>;
  /** removes every directory made so far */
  removeAll(): Promise<void>;
}

export function scratchDirs(): ScratchDirs {
  const made: string[] = [];
  return {
    async tempDir(prefix) {
      const d = await mkdtemp(join(tmpdir(), prefix));
      made.push(d);
      return d;
    },
    async removeAll() {
      for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
}
