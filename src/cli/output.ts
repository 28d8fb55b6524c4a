// Everything the CLI prints goes through here: human text on stdout, diagnostics on stderr,
// and errors either as text (message, then "hint: …") or as a JSON object with --json.
import { VouchError } from '../core/index.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly stdinIsTTY: boolean;
  readonly stderrIsTTY: boolean;
}

export const processIo: Io = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  get stdinIsTTY() { return Boolean(process.stdin.isTTY); },
  get stderrIsTTY() { return Boolean(process.stderr.isTTY); },
};

/** Exit codes: 0 ok, 1 a refused or failed operation, 2 usage, 70 internal error (sysexits EX_SOFTWARE). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, INTERNAL: 70 } as const;

export function reportError(io: Io, err: unknown, json: boolean): number {
  if (err instanceof VouchError) {
    if (json) {
      io.err(JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint, details: err.details } }) + '\n');
    } else {
      io.err(`vouch: ${err.message}\n`);
      if (err.hint) io.err(`hint: ${err.hint}\n`);
    }
    return err.code === 'INVALID_ARGUMENT' ? EXIT.USAGE : EXIT.FAILED;
  }
  const e = err as Error;
  io.err(`vouch: internal error: ${e?.stack ?? String(err)}\n`);
  return EXIT.INTERNAL;
}
