// The Go peers scripts/install-go-peers.sh builds with `go install` from the Go module proxy (once,
// cached outside the repository). A missing Go or a refused module is a failure, never a skip.
import { join } from 'node:path';
import { projectRoot } from './paths.js';
import { check, run } from './peers.js';

const built = new Map<string, Promise<string>>();

/** Path of a pinned Go peer (`cosign`, `cosign3`, …), built on first use. */
export function goPeerBinary(name: string): Promise<string> {
  let p = built.get(name);
  if (p === undefined) {
    p = (async () => {
      const r = await run('bash', [join(projectRoot, 'scripts', 'install-go-peers.sh'), name], { timeoutMs: 1_800_000 });
      const path = check(r, `scripts/install-go-peers.sh ${name} (builds the real ${name} with go install; a failure, not a skip)`).trim().split('\n').pop() ?? '';
      if (!path) throw new Error(`scripts/install-go-peers.sh printed no path for ${name}`);
      return path;
    })();
    built.set(name, p);
  }
  return p;
}
