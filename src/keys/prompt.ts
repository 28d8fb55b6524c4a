// Terminal passphrase prompt: no echo (raw mode), asks twice for a new key, refuses passphrases
// shorter than 8 characters for new keys (notary's rule). Never prints what was typed.
import { VouchError } from '../core/index.js';
import { createPassphraseSource, type PassphraseNames, type PassphraseSource, type PassphraseSourceOptions, type PromptFunction } from './passphrase.js';

export interface TtyInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  isRaw?: boolean;
}

export interface TtyPromptOptions {
  /** Default process.stdin. */
  input?: TtyInput;
  /** Where the questions go (default process.stderr, so stdout stays clean for --json). */
  output?: NodeJS.WritableStream;
  minLength?: number;
}

export const MIN_NEW_PASSPHRASE_LENGTH = 8;

/** A prompt on the terminal, or undefined when the input is not a TTY (then the caller gets NO_PASSPHRASE). */
export function ttyPrompt(opts: TtyPromptOptions = {}): PromptFunction | undefined {
  const input = opts.input ?? (process.stdin as TtyInput);
  const output = opts.output ?? process.stderr;
  if (!input.isTTY || typeof input.setRawMode !== 'function') return undefined;
  const minLength = opts.minLength ?? MIN_NEW_PASSPHRASE_LENGTH;
  return async (req) => {
    const id = req.keyId ? ` with ID ${req.keyId.slice(0, 7)}` : '';
    if (req.attempt > 0 && !req.createNew) output.write('Passphrase incorrect. Please retry.\n');
    if (!req.createNew) return readHidden(input, output, `Enter passphrase for ${req.label} key${id}: `);
    const first = await readHidden(input, output, `Enter passphrase for new ${req.label} key${id}: `);
    if (first.length < minLength) {
      throw new VouchError('BAD_PASSPHRASE', `passphrase too short: use at least ${minLength} characters`);
    }
    const again = await readHidden(input, output, `Repeat passphrase for new ${req.label} key${id}: `);
    if (again !== first) throw new VouchError('BAD_PASSPHRASE', 'the entered passphrases do not match');
    return first;
  };
}

/** Reads one line in raw mode without echoing it. Ctrl-C or end of input cancels. */
export function readHidden(input: TtyInput, output: NodeJS.WritableStream, question: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    output.write(question);
    const wasRaw = input.isRaw === true;
    input.setRawMode?.(true);
    input.resume();
    let typed = '';
    const done = (err: Error | undefined): void => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.setRawMode?.(wasRaw);
      input.pause();
      output.write('\n');
      if (err) reject(err);
      else resolvePromise(typed);
    };
    const onEnd = (): void => done(new VouchError('NO_PASSPHRASE', 'no passphrase entered (end of input)'));
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(undefined);
        if (ch === '\u0003') return done(new VouchError('NO_PASSPHRASE', 'passphrase entry cancelled'));
        if (ch === '\u0004') {
          if (typed === '') return done(new VouchError('NO_PASSPHRASE', 'no passphrase entered (end of input)'));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
    input.on('end', onEnd);
  });
}

/**
 * The passphrase source the CLI wants: variables from `env`, else a terminal prompt when stdin is
 * a TTY, else NO_PASSPHRASE naming the variable to set.
 */
export function terminalPassphraseSource(env: PassphraseSourceOptions['env'], opts: TtyPromptOptions & { names?: PassphraseNames } = {}): PassphraseSource {
  const prompt = ttyPrompt(opts);
  return createPassphraseSource({ env, ...(opts.names ? { names: opts.names } : {}), ...(prompt ? { prompt } : {}) });
}
