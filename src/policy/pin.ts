// `vouch pin`: find the image references in Kubernetes manifests, Compose files and Dockerfiles,
// and rewrite them to `IMAGE:TAG@sha256:…` with the digest that verified trust data binds to the
// tag. Pure: text in, text out. The CLI reads the files, parses each reference with src/oci's
// parseReference and looks up its signed digest (both async and impure), then hands the results
// back here as a `PinResolver`. Only the reference scalars change: the new text is the old text
// with byte-level splices at the references' source ranges.
import { VouchError } from '../core/errors.js';
import { scanDockerfile } from './pin-dockerfile.js';
import type {
  ImageFinding, PinCheck, PinOutcome, PinProblem, PinResolution, PinResolver, PinResult, PinSyntax, PinTarget, RawReference,
} from './pin-types.js';
import { scanYaml } from './pin-yaml.js';

export type * from './pin-types.js';

/** Larger files are refused before parsing: deployment files are small. */
export const MAX_PIN_CHARS = 8 << 20;

const SIGNED_DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface PinScanOptions {
  /** The file name, for messages and to choose the syntax (default `-`). */
  file?: string;
  /** Overrides detection from the file name and content. */
  syntax?: PinSyntax;
}

export interface PinOptions extends PinScanOptions {
  /** The signed digest for every reference `referencesToResolve` listed. */
  resolve: PinResolver;
  /** Replace digests that are no longer the signed ones (otherwise they are reported as `stale`). */
  update?: boolean;
}

/**
 * YAML for `.yaml`, `.yml`, `.json`; Dockerfile for `Dockerfile`, `Containerfile`, `Dockerfile.*`,
 * `*.dockerfile`; otherwise a file whose first instruction is `FROM` or `ARG` is a Dockerfile.
 */
export function detectSyntax(file: string, source: string): PinSyntax {
  const base = file.split(/[\\/]/).pop() ?? file;
  if (/\.(ya?ml|json)$/i.test(base)) return 'yaml';
  if (/^(docker|container)file([.-].*)?$/i.test(base) || /\.(docker|container)file$/i.test(base)) return 'dockerfile';
  for (const line of source.replace(/^\uFEFF/, '').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    return /^(from|arg)\s/i.test(t) ? 'dockerfile' : 'yaml';
  }
  return 'yaml';
}

/** 1-based line and column of offsets in one source (a BOM is not counted as a column). */
function positions(source: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  const bom = source.startsWith('\uFEFF') ? 1 : 0;
  return (offset) => {
    if (offset < 0) return { line: 1, column: 1 };
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    const start = (starts[lo] as number) + (lo === 0 ? bom : 0);
    return { line: lo + 1, column: Math.max(1, offset - start + 1) };
  };
}

function scan(source: string, file: string, syntax: PinSyntax): RawReference[] {
  if (source.length > MAX_PIN_CHARS) {
    throw new VouchError('TOO_LARGE', `${file} is larger than ${MAX_PIN_CHARS} characters`, { details: { file } });
  }
  return syntax === 'dockerfile' ? scanDockerfile(source) : scanYaml(source, file);
}

/**
 * Every image reference in one file, in file order. Throws `INVALID_YAML` (with line and column
 * of each syntax error) for malformed YAML; a YAML document that is neither a Kubernetes object
 * nor a Compose file contributes nothing.
 */
export function findImageReferences(source: string, opts: PinScanOptions = {}): ImageFinding[] {
  const file = opts.file ?? '-';
  const syntax = opts.syntax ?? detectSyntax(file, source);
  const at = positions(source);
  // File order for reports; the sort is stable, so aliases of one anchor keep their walk order.
  return scan(source, file, syntax).sort((a, b) => a.offset - b.offset).map((r) => ({
    file,
    ...r,
    ...at(r.offset),
    pinned: r.reference.includes('@'),
  }));
}

/**
 * The tag whose signed digest a reference must be pinned to: the tag as written, docker's
 * `latest` when there is neither tag nor digest, undefined for a digest without a tag.
 */
export function pinTag(parsed: PinTarget['parsed']): string | undefined {
  return parsed.tag ?? (parsed.digest === undefined ? 'latest' : undefined);
}

/** The distinct references the caller must resolve (unresolvable ones need no lookup). */
export function referencesToResolve(findings: readonly ImageFinding[]): string[] {
  return [...new Set(findings.filter((f) => f.unresolvable === undefined).map((f) => f.reference))];
}

function lookup(resolver: PinResolver, reference: string): PinResolution | undefined {
  return typeof resolver === 'function' ? resolver(reference) : resolver.get(reference);
}

/** Decides, for each finding, whether it is pinned correctly and what it should become. */
function plan(findings: readonly ImageFinding[], resolver: PinResolver): PinOutcome[] {
  return findings.map((f): PinOutcome => {
    const ref = f.reference;
    const out = (status: PinOutcome['status'], message: string, extra: Partial<PinOutcome> = {}): PinOutcome => ({ ...f, status, message, rewritten: false, ...extra });
    if (f.unresolvable !== undefined) return out('unresolvable', `${ref === '' ? 'the image' : ref} cannot be pinned: ${f.unresolvable}`);
    const res = lookup(resolver, ref);
    if (res === undefined) return out('unresolved', `${ref}: no signed digest was looked up for this reference`);
    if ('error' in res) return out('unresolved', `${ref}: ${res.error}`);
    const { parsed } = res;

    // Split off digest and tag as the caller's parse found them, keeping the name exactly as written.
    let name = ref;
    if (parsed.digest !== undefined) {
      if (!name.endsWith(`@${parsed.digest}`)) return out('unresolved', `${ref}: the resolver's parse (digest ${parsed.digest}) does not match the reference`);
      name = name.slice(0, -(parsed.digest.length + 1));
    }
    if (parsed.tag !== undefined) {
      if (!name.endsWith(`:${parsed.tag}`)) return out('unresolved', `${ref}: the resolver's parse (tag ${parsed.tag}) does not match the reference`);
      name = name.slice(0, -(parsed.tag.length + 1));
    }
    const tag = pinTag(parsed);
    if (tag === undefined) {
      return out('no-tag', `${ref} is pinned by digest without a tag, so vouch cannot check it against signed data; write IMAGE:TAG@DIGEST`);
    }
    const signed = res.signed;
    if (signed === undefined || !SIGNED_DIGEST.test(signed)) {
      return out('unresolved', `${ref}: the resolver gave no valid signed digest for tag ${tag} (${signed ?? 'none'})`);
    }
    const replacement = `${name}:${tag}@${signed}`;
    if (parsed.digest === undefined) {
      return out('unpinned', `${ref} is not pinned by digest; the signed digest of tag ${tag} is ${signed}`, { signed, replacement });
    }
    if (parsed.digest === signed) return out('ok', `${ref} is pinned to the signed digest`, { signed });
    return out('stale', `${name}:${tag} is pinned to ${parsed.digest}, but the signed digest of tag ${tag} is ${signed} (vouch pin --update replaces it)`, { signed, replacement });
  });
}

function toProblem(o: PinOutcome): PinProblem {
  return { code: o.status as PinProblem['code'], file: o.file, line: o.line, column: o.column, reference: o.reference, where: o.where, message: o.message };
}

/**
 * Pins every reference in one file. Unpinned references are rewritten; stale ones only with
 * `update`. The new text differs from the source only inside the rewritten references, so
 * pinning twice with the same digests changes nothing.
 */
export function pinText(source: string, opts: PinOptions): PinResult {
  const file = opts.file ?? '-';
  const syntax = opts.syntax ?? detectSyntax(file, source);
  const outcomes = plan(findImageReferences(source, { file, syntax }), opts.resolve);

  // One splice per source range: an anchored scalar that several aliases share is rewritten once.
  const splices = new Map<number, { end: number; text: string }>();
  for (const o of outcomes) {
    const write = o.status === 'unpinned' || (o.status === 'stale' && opts.update === true);
    if (!write || o.replacement === undefined || o.length === 0) continue;
    splices.set(o.offset, { end: o.offset + o.length, text: o.replacement });
    o.rewritten = true;
    o.message = o.status === 'unpinned' ? `${o.reference} pinned to ${o.replacement}` : `${o.reference} updated to ${o.replacement}`;
  }
  let text = '';
  let pos = 0;
  for (const [start, s] of [...splices].sort((a, b) => a[0] - b[0])) {
    if (start < pos) throw new VouchError('INTERNAL', `${file}: overlapping references at offset ${start}`);
    text += source.slice(pos, start) + s.text;
    pos = s.end;
  }
  text += source.slice(pos);

  // The rewritten file must read back as the same references with only the pinned ones changed.
  if (splices.size > 0) {
    const again = findImageReferences(text, { file, syntax }).map((f) => f.reference);
    const expected = outcomes.map((o) => (o.rewritten ? (o.replacement as string) : o.reference));
    if (again.length !== expected.length || again.some((r, i) => r !== expected[i])) {
      throw new VouchError('INTERNAL', `${file}: pinning would change the file's structure; nothing was written`, { details: { expected, found: again } });
    }
  }
  const problems = outcomes.filter((o) => o.status !== 'ok' && !o.rewritten).map(toProblem);
  return { file, syntax, text, changed: text !== source, outcomes, problems };
}

/** `vouch pin --check`: every reference that is not pinned to its signed digest is a problem. */
export function checkPins(source: string, opts: Omit<PinOptions, 'update'>): PinCheck {
  const file = opts.file ?? '-';
  const syntax = opts.syntax ?? detectSyntax(file, source);
  const outcomes = plan(findImageReferences(source, { file, syntax }), opts.resolve);
  return { file, syntax, outcomes, problems: outcomes.filter((o) => o.status !== 'ok').map(toProblem) };
}

/** `deploy.yaml:12:16: Deployment web, container app: nginx:1.25 is not pinned by digest; …` */
export function formatPinProblem(p: PinProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.where}: ${p.message}`;
}

/** The error `vouch pin --check` (or `vouch pin` with problems left) exits with; undefined when there are none. */
export function pinProblemsError(problems: readonly PinProblem[]): VouchError | undefined {
  if (problems.length === 0) return undefined;
  const lines = problems.map(formatPinProblem);
  const files = new Set(problems.map((p) => p.file)).size;
  const head = `${problems.length} image reference${problems.length === 1 ? ' is' : 's are'} not pinned to the signed digest${files > 1 ? ` (${files} files)` : ''}`;
  const fixable = problems.some((p) => p.code === 'unpinned' || p.code === 'stale');
  return new VouchError('NOT_PINNED', `${head}:\n  ${lines.join('\n  ')}`, {
    ...(fixable ? { hint: 'run `vouch pin FILE...` to pin them (`--update` also replaces stale digests)' } : {}),
    details: { problems },
  });
}
