// Everything the CLI prints goes through here: human text on stdout, diagnostics on stderr,
// and errors either as text (message, then "hint: …") or as a JSON object with --json. Text from
// servers, registries and signed metadata (error messages, tag and signer names) reaches the
// terminal only through printable(): main() wraps the Io once (printableIo).
import { VouchError, type ErrorCode } from '../core/index.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly stdinIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** one line of input (yes/no questions); without it the answer is "no" */
  readLine?: () => Promise<string>;
}

export const processIo: Io = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  get stdinIsTTY() { return Boolean(process.stdin.isTTY); },
  get stderrIsTTY() { return Boolean(process.stderr.isTTY); },
  // docker reads its confirmations from stdin, also when it is a pipe
  readLine: async () => {
    const { createInterface } = await import('node:readline');
    const rl = createInterface({ input: process.stdin });
    try {
      return await new Promise<string>((res) => {
        rl.once('line', (l) => res(l));
        rl.once('close', () => res(''));
      });
    } finally {
      rl.close();
    }
  },
};

/** C0 and C1 controls and DEL, except newline and tab: what can move, retitle or clear a terminal. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text as it may reach a terminal: each control character (C0 and C1 except newline and tab,
 * and DEL) becomes `\u00XX`. The escape is JSON's own, so JSON output keeps its exact values.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The same Io, with everything written through printable(). */
export function printableIo(io: Io): Io {
  const safe = Object.create(io) as Io & { out: Io['out']; err: Io['err'] };
  safe.out = (t) => io.out(printable(t));
  safe.err = (t) => io.err(printable(t));
  return safe;
}

/** Exit codes: 0 ok, 1 a refused or failed operation, 2 usage, 70 internal error (sysexits EX_SOFTWARE). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, INTERNAL: 70 } as const;

/** Thrown by a command whose result is an exit status it has already explained on its output (vouch status). */
export class ExitStatus extends Error {
  constructor(readonly code: number) {
    super(`exit status ${code}`);
  }
}

/** The exit status of a command that failed with this code (docs/errors.md lists it per code). */
export function exitCodeFor(code: ErrorCode): number {
  return code === 'INVALID_ARGUMENT' ? EXIT.USAGE : EXIT.FAILED;
}

export function reportError(io: Io, err: unknown, json: boolean): number {
  if (err instanceof VouchError) {
    if (json) {
      io.err(JSON.stringify({ error: { code: err.code, outcome: err.outcome, message: err.message, hint: err.hint, details: err.details } }) + '\n');
    } else {
      io.err(`vouch: ${err.message}\n`);
      if (err.hint) io.err(`hint: ${err.hint}\n`);
    }
    return exitCodeFor(err.code);
  }
  const e = err as Error;
  io.err(`vouch: internal error: ${e?.stack ?? String(err)}\n`);
  return EXIT.INTERNAL;
}
