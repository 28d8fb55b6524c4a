// Shared wiring for the trust commands: a client Session from the command context (env, trust
// dir, passphrases), warnings to stderr, yes/no questions on the terminal, trust pinning.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { VouchError, isJsonObject, parseJson } from '../../core/index.js';
import type { TrustPinning } from '../../tuf/index.js';
import { Session } from '../../client/session.js';
import type { Context } from '../context.js';

export interface CommonTrustOptions {
  /** notary client config (or a bare trust_pinning object): root key IDs or CAs to pin, disable_tofu */
  trustPinning?: string;
}

/** One line of input (an embedded caller without input answers "no"). */
async function readLine(ctx: Context): Promise<string> {
  return ctx.io.readLine ? ctx.io.readLine() : '';
}

export function openSession(ctx: Context, opts: CommonTrustOptions = {}): Session {
  const pinning = opts.trustPinning ? readTrustPinning(resolve(ctx.cwd, opts.trustPinning)) : undefined;
  return new Session({
    env: ctx.env,
    trustDir: ctx.trustDir,
    now: ctx.now,
    warn: (m) => ctx.io.err(`WARN: ${m}\n`),
    confirm: async (q) => {
      ctx.io.out(q);
      const answer = (await readLine(ctx)).trim().toLowerCase();
      return answer === 'y' || answer === 'yes';
    },
    ...(pinning ? { pinning } : {}),
  });
}

/** `{"trust_pinning": {"certs": {...}, "ca": {"prefix": "file.pem"}, "disable_tofu": true}}`, paths relative to the file. */
export function readTrustPinning(file: string): TrustPinning {
  try {
    return parseTrustPinning(file);
  } catch (err) {
    if (err instanceof VouchError && err.hint === undefined) {
      throw new VouchError(err.code, err.message, { cause: err, details: err.details, hint: 'expected notary\'s client config form: {"trust_pinning": {"certs": {"GUN": ["root key ID"]}, "ca": {"GUN prefix": "ca.pem"}, "disable_tofu": true}}' });
    }
    throw err;
  }
}

function parseTrustPinning(file: string): TrustPinning {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (err) {
    throw new VouchError('CONFIG', `cannot read trust pinning file ${file}: ${(err as Error).message}`);
  }
  const doc = parseJson(text, { maxBytes: 1024 * 1024, what: file });
  const tp = isJsonObject(doc) && isJsonObject(doc.trust_pinning) ? doc.trust_pinning : doc;
  if (!isJsonObject(tp)) throw new VouchError('CONFIG', `${file}: trust_pinning is not an object`);
  const out: TrustPinning = {};
  if (tp.certs !== undefined) {
    if (!isJsonObject(tp.certs)) throw new VouchError('CONFIG', `${file}: trust_pinning.certs must map GUNs to lists of key IDs`);
    const certs: Record<string, string[]> = {};
    for (const [gun, ids] of Object.entries(tp.certs)) {
      if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string')) throw new VouchError('CONFIG', `${file}: trust_pinning.certs["${gun}"] must be a list of key IDs`);
      certs[gun] = ids as string[];
    }
    out.certs = certs;
  }
  if (tp.ca !== undefined) {
    if (!isJsonObject(tp.ca)) throw new VouchError('CONFIG', `${file}: trust_pinning.ca must map GUN prefixes to CA files`);
    const ca: Record<string, string> = {};
    for (const [prefix, path] of Object.entries(tp.ca)) {
      if (typeof path !== 'string') throw new VouchError('CONFIG', `${file}: trust_pinning.ca["${prefix}"] must be a file name`);
      const p = isAbsolute(path) ? path : resolve(dirname(file), path);
      try {
        ca[prefix] = readFileSync(p, 'utf8');
      } catch (err) {
        throw new VouchError('CONFIG', `cannot read the CA ${p} pinned for ${prefix}: ${(err as Error).message}`);
      }
    }
    out.ca = ca;
  }
  if (tp.disable_tofu !== undefined) {
    if (typeof tp.disable_tofu !== 'boolean') throw new VouchError('CONFIG', `${file}: trust_pinning.disable_tofu must be true or false`);
    out.disableTofu = tp.disable_tofu;
  }
  return out;
}

export async function withSession(ctx: Context, opts: CommonTrustOptions, fn: (s: Session) => Promise<void>): Promise<void> {
  const s = openSession(ctx, opts);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}
