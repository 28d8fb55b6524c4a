// vouch pin FILE... [--check] [--update]: pin image references in Kubernetes manifests, Compose
// files and Dockerfiles to the digest verified trust data signs for their tag, after the trust
// policy (docs/pin.md). Files are rewritten atomically (temp file + rename) and only when changed.
import { readFile, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VouchError, isVouchError, type ErrorCode } from '../../core/index.js';
import { writeFileAtomic } from '../../files/index.js';
import { checkPolicy, type PolicyCheckOptions } from '../../client/policy.js';
import type { Session } from '../../client/session.js';
import { gunOf, parseReference } from '../../oci/reference.js';
import type { Policy } from '../../policy/index.js';
import {
  MAX_PIN_CHARS, checkPins, findImageReferences, formatPinProblem, pinProblemsError, pinTag, pinText, referencesToResolve,
  type PinOutcome, type PinProblem, type PinResolution,
} from '../../policy/pin.js';
import type { Context } from '../context.js';
import { loadPolicy, policyCheckOptions } from '../policyfile.js';
import { withSession, type CommonTrustOptions } from './trust-common.js';

export interface PinCommandOptions extends CommonTrustOptions {
  check?: boolean;
  update?: boolean;
  policy?: string;
  json?: boolean;
}

interface FileInput {
  /** As the user wrote it (messages use it). */
  name: string;
  path: string;
  text?: string;
  error?: VouchError;
}

/** The signed digest of one tag after the policy: decision.digest, when the decision allows the image. */
async function signedDigest(s: Session, policy: Policy, gun: string, tag: string, ref: ReturnType<typeof parseReference>, options: PolicyCheckOptions): Promise<string> {
  // Evaluated with the tag only, so that the decision's digest is the signed one, not the pin.
  const { decision } = await checkPolicy(s, { registry: ref.registry, repository: ref.repository, tag }, policy, undefined, undefined, options);
  if (!decision.allowed) throw new VouchError('POLICY_DENIED', decision.summary);
  if (decision.digest === undefined) throw new VouchError('TAG_NOT_FOUND', `no signed digest for ${gun}:${tag}: ${decision.summary}`);
  return decision.digest;
}

async function resolveAll(s: Session, policy: Policy, references: readonly string[], options: PolicyCheckOptions): Promise<Map<string, PinResolution>> {
  const out = new Map<string, PinResolution>();
  // One lookup per repository and tag, however many files and spellings name it.
  const byTag = new Map<string, Promise<string>>();
  for (const reference of references) {
    let parsed;
    try {
      parsed = parseReference(reference);
    } catch (err) {
      out.set(reference, { error: (err as Error).message });
      continue;
    }
    const tag = pinTag(parsed);
    if (tag === undefined) {
      out.set(reference, { parsed });
      continue;
    }
    const key = `${gunOf(parsed)}:${tag}`;
    let p = byTag.get(key);
    if (p === undefined) {
      p = signedDigest(s, policy, gunOf(parsed), tag, parsed, options);
      byTag.set(key, p);
    }
    try {
      out.set(reference, { parsed, signed: await p });
    } catch (err) {
      if (!isVouchError(err)) throw err;
      out.set(reference, { error: err.message });
    }
  }
  return out;
}

/** Same directory (so rename is atomic), same mode; the original is untouched until the rename. */
async function writeAtomically(file: string, text: string): Promise<void> {
  // Through a symlink, rewrite its target: renaming over the link would replace it with a copy.
  const path = await realpath(file);
  const { mode } = await stat(path);
  await writeFileAtomic(path, text, { mode: mode & 0o7777 });
}

async function readInput(ctx: Context, name: string): Promise<FileInput> {
  const path = resolve(ctx.cwd, name);
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    // UTF-16 length is at least a third of the byte length: anything bigger cannot fit the limit.
    if (st.size > MAX_PIN_CHARS * 3) throw new VouchError('TOO_LARGE', `${name} is larger than ${MAX_PIN_CHARS} characters`, { details: { file: name } });
    const text = await readFile(path, 'utf8');
    // Parse now: a file that is not valid YAML (or too long) is reported and left alone.
    findImageReferences(text, { file: name });
    return { name, path, text };
  } catch (err) {
    if (isVouchError(err)) return { name, path, error: err };
    return { name, path, error: new VouchError('CONFIG', `cannot read ${name}: ${(err as Error).message}`, { details: { file: name } }) };
  }
}

interface FileReport {
  file: string;
  changed: boolean;
  references: Pick<PinOutcome, 'line' | 'column' | 'reference' | 'where' | 'status' | 'rewritten' | 'message' | 'signed' | 'replacement'>[];
  error?: { code: ErrorCode; message: string };
}

export async function pinCommand(ctx: Context, files: string[], opts: PinCommandOptions): Promise<void> {
  if (files.length === 0) throw new VouchError('INVALID_ARGUMENT', 'vouch pin needs at least one FILE');
  if (opts.check && opts.update) throw new VouchError('INVALID_ARGUMENT', '--check changes nothing, so it cannot --update; run one, then the other');
  const { policy } = await loadPolicy(ctx, opts.policy);
  const inputs: FileInput[] = [];
  for (const f of files) inputs.push(await readInput(ctx, f));

  const wanted = new Set<string>();
  for (const i of inputs) if (i.text !== undefined) for (const r of referencesToResolve(findImageReferences(i.text, { file: i.name }))) wanted.add(r);
  let resolved = new Map<string, PinResolution>();
  if (wanted.size > 0) {
    const checking = await policyCheckOptions(ctx, policy);
    try {
      await withSession(ctx, opts, async (s) => { resolved = await resolveAll(s, policy, [...wanted], checking.options); });
    } finally {
      await checking.close();
    }
  }

  const problems: PinProblem[] = [];
  const reports: FileReport[] = [];
  const fileErrors: VouchError[] = [];
  let total = 0;
  let rewritten = 0;
  for (const i of inputs) {
    if (i.text === undefined) {
      const err = i.error as VouchError;
      fileErrors.push(err);
      reports.push({ file: i.name, changed: false, references: [], error: { code: err.code, message: err.message } });
      continue;
    }
    let outcomes: PinOutcome[];
    let changed = false;
    if (opts.check) {
      const r = checkPins(i.text, { file: i.name, resolve: resolved });
      outcomes = r.outcomes;
      problems.push(...r.problems);
    } else {
      const r = pinText(i.text, { file: i.name, resolve: resolved, update: Boolean(opts.update) });
      outcomes = r.outcomes;
      problems.push(...r.problems);
      if (r.changed) {
        await writeAtomically(i.path, r.text);
        changed = true;
      }
    }
    total += outcomes.length;
    rewritten += outcomes.filter((o) => o.rewritten).length;
    if (!opts.json) for (const o of outcomes.filter((x) => x.rewritten)) ctx.io.out(`${i.name}:${o.line}:${o.column}: ${o.where}: ${o.message}\n`);
    reports.push({
      file: i.name,
      changed,
      references: outcomes.map((o) => ({
        line: o.line, column: o.column, reference: o.reference, where: o.where, status: o.status, rewritten: o.rewritten, message: o.message,
        ...(o.signed !== undefined ? { signed: o.signed } : {}), ...(o.replacement !== undefined ? { replacement: o.replacement } : {}),
      })),
    });
  }

  if (opts.json) ctx.io.out(`${JSON.stringify({ check: Boolean(opts.check), files: reports }, null, 2)}\n`);
  const failure = pinProblemsError(problems);
  if (fileErrors.length === 1 && failure === undefined) throw fileErrors[0];
  if (fileErrors.length > 0) {
    // Several things went wrong: the file errors first, then what is left to pin.
    const lines = [...fileErrors.map((e) => e.message), ...problems.map(formatPinProblem)];
    throw new VouchError(failure !== undefined ? 'NOT_PINNED' : fileErrors[0]?.code ?? 'CONFIG', `${fileErrors.length} file${fileErrors.length === 1 ? '' : 's'} could not be pinned${problems.length > 0 ? `, and ${problems.length} image reference${problems.length === 1 ? ' is' : 's are'} not pinned to the signed digest` : ''}:\n  ${lines.join('\n  ')}`, {
      hint: 'fix the files that could not be read or parsed; vouch pin changes nothing in them',
      details: { problems, files: fileErrors.map((e) => ({ code: e.code, message: e.message, details: e.details })) },
    });
  }
  if (failure !== undefined) throw failure;
  if (!opts.json) {
    const n = `${total} image reference${total === 1 ? '' : 's'}`;
    const where = `${inputs.length} file${inputs.length === 1 ? '' : 's'}`;
    if (opts.check) ctx.io.out(`${n} in ${where}: every one is pinned to its signed digest\n`);
    else ctx.io.out(rewritten > 0 ? `pinned ${rewritten} of ${n} in ${where}\n` : `${n} in ${where}: every one is already pinned to its signed digest\n`);
  }
}
