// What a refused write must leave behind: nothing at a new destination (and no staging directory
// `.<name>.tmp-*` beside it), and an existing directory byte for byte as it was.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Every file and directory below `dir`, relative, with a hash of each file's bytes. */
export function treeSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { out[`${r}/`] = 'dir'; walk(join(d, e.name), r); } else out[r] = createHash('sha256').update(readFileSync(join(d, e.name))).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

/** Staging directories a layout writer left beside `path`. */
export function stagingLeftovers(path: string): string[] {
  if (!existsSync(dirname(path))) return [];
  return readdirSync(dirname(path)).filter((n) => n.startsWith(`.${basename(path)}.tmp-`));
}

/** Nothing at `path`, and no staging directory for it beside it. */
export function assertNothingWritten(path: string): void {
  assert.equal(existsSync(path), false, `${path} must not exist`);
  assert.deepEqual(stagingLeftovers(path), [], `no staging directory beside ${path}`);
}
