// Paths for tests: the project root (tests run from dist/test/..., fixtures live in test/fixtures).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`project root not found above ${start}`);
    dir = up;
  }
}

export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const fixturesDir = join(projectRoot, 'test', 'fixtures');
export const fixture = (...parts: string[]): string => join(fixturesDir, ...parts);
