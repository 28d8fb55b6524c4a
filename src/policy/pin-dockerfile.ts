// Image references in Dockerfiles: `FROM [--flag=…] IMAGE [AS NAME]` and `COPY --from=IMAGE`.
// A small line scanner rather than a full Dockerfile parser: it follows what BuildKit does with
// parser directives, line continuations, comment lines inside continuations and heredocs, so that
// it neither misses a FROM split over lines nor mistakes heredoc text for an instruction.
import type { RawReference } from './pin-types.js';

interface Line {
  /** Offset of the line's first character in the source. */
  start: number;
  /** The line without its `\n` and without a trailing `\r`. */
  text: string;
}

/** A run of source characters that is part of one logical instruction. */
interface Segment {
  start: number;
  text: string;
}

function splitLines(source: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (;;) {
    const nl = source.indexOf('\n', start);
    const raw = nl < 0 ? source.slice(start) : source.slice(start, nl);
    lines.push({ start, text: raw.endsWith('\r') ? raw.slice(0, -1) : raw });
    if (nl < 0) return lines;
    start = nl + 1;
  }
}

const DIRECTIVE = /^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(\S+)\s*$/;
const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

/** Whether `at` lies inside a '…' or "…" string of a shell line (`echo "<<EOF"` is no heredoc). */
function quoted(text: string, at: number): boolean {
  let quote: string | undefined;
  for (let k = 0; k < at; k++) {
    const c = text[k];
    if (quote === undefined && c === '\\') k++;
    else if (quote === undefined && (c === '"' || c === "'")) quote = c;
    else if (c === quote && !(quote === '"' && text[k - 1] === '\\')) quote = undefined;
  }
  return quote !== undefined;
}

const isBlankOrComment = (text: string): boolean => {
  const t = text.trimStart();
  return t === '' || t.startsWith('#');
};

interface Token {
  text: string;
  /** Source offset of the first character. */
  offset: number;
  /** The token is joined across a line continuation: it has no single source range to splice. */
  split: boolean;
}

/** Splits a logical instruction into whitespace-separated tokens, mapped back to source offsets. */
function tokens(segments: readonly Segment[]): Token[] {
  let joined = '';
  const at: number[] = [];
  for (const s of segments) {
    for (let i = 0; i < s.text.length; i++) at.push(s.start + i);
    joined += s.text;
  }
  const out: Token[] = [];
  for (const m of joined.matchAll(/\S+/g)) {
    const first = at[m.index] as number;
    const last = at[m.index + m[0].length - 1] as number;
    out.push({ text: m[0], offset: first, split: last - first !== m[0].length - 1 });
  }
  return out;
}

function variableReason(text: string, what: string): string | undefined {
  if (!text.includes('$')) return undefined;
  return `${what} uses a build argument (${text}); vouch pins only literal references: pin the ARG's default value, or write the reference out`;
}

/** Finds image references in a Dockerfile. Never throws: a line vouch does not understand is not an image. */
export function scanDockerfile(source: string): RawReference[] {
  const lines = splitLines(source);
  const found: RawReference[] = [];
  const stages: string[] = [];
  let escape = '\\';
  let i = 0;

  // Parser directives: only at the very top, before any other line (BuildKit stops at the first non-directive).
  while (i < lines.length) {
    const m = DIRECTIVE.exec((lines[i] as Line).text);
    if (!m) break;
    if ((m[1] as string).toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\')) escape = m[2];
    i++;
  }
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);

  const add = (tok: Token, instruction: string, where: string, object: string): void => {
    const base = { kind: 'dockerfile' as const, reference: tok.text, where, object };
    const reason = tok.split ? 'the reference is split over a line continuation; write it on one line' : variableReason(tok.text, instruction);
    found.push({ ...base, offset: tok.offset, length: reason ? 0 : tok.text.length, ...(reason ? { unresolvable: reason } : {}) });
  };

  while (i < lines.length) {
    if (isBlankOrComment((lines[i] as Line).text)) {
      i++;
      continue;
    }
    // Gather one logical instruction: continuation lines are joined; comment and blank lines inside are dropped.
    const segments: Segment[] = [];
    for (;;) {
      const line = lines[i] as Line;
      const m = continuation.exec(line.text);
      segments.push({ start: line.start, text: m ? line.text.slice(0, m.index) : line.text });
      i++;
      if (!m) break;
      while (i < lines.length && isBlankOrComment((lines[i] as Line).text)) i++;
      if (i >= lines.length) break;
    }
    const toks = tokens(segments);
    const instruction = toks[0]?.text.toLowerCase();

    if (instruction === 'from') {
      let k = 1;
      while (k < toks.length && (toks[k] as Token).text.startsWith('--')) k++;
      const image = toks[k];
      const asKw = toks[k + 1];
      const name = asKw?.text.toLowerCase() === 'as' ? toks[k + 2]?.text : undefined;
      const stage = stages.length;
      stages.push(name?.toLowerCase() ?? '');
      if (image === undefined) continue;
      const lower = image.text.toLowerCase();
      // `scratch` is the empty image; a name of an earlier stage builds on that stage.
      if (lower === 'scratch' || stages.slice(0, stage).includes(lower)) continue;
      const label = name ?? `stage ${stage}`;
      add(image, 'FROM', `FROM, ${label}`, label);
    } else if (instruction === 'copy') {
      for (const t of toks.slice(1)) {
        if (!t.text.startsWith('--')) break;
        const m = /^--from=(.+)$/i.exec(t.text);
        if (!m) continue;
        const value = m[1] as string;
        // --from names an earlier stage (by name or index), or else an image.
        if (/^\d+$/.test(value) || stages.includes(value.toLowerCase())) continue;
        // `--from=` itself lies on one line when the value does not.
        const offset = t.offset + t.text.length - value.length;
        const label = stages.length > 0 ? (stages[stages.length - 1] as string) || `stage ${stages.length - 1}` : 'stage 0';
        add({ text: value, offset, split: t.split }, 'COPY --from', `COPY --from, ${label}`, label);
      }
    }

    // Heredoc bodies follow the instruction; their lines are data, not instructions.
    if (instruction === 'run' || instruction === 'copy' || instruction === 'add') {
      const logical = segments.map((s) => s.text).join('');
      for (const h of logical.matchAll(HEREDOC)) {
        if (quoted(logical, h.index)) continue;
        const word = h[3] as string;
        const stripTabs = h[1] === '-';
        let end = i;
        while (end < lines.length && (stripTabs ? (lines[end] as Line).text.replace(/^\t+/, '') : (lines[end] as Line).text) !== word) end++;
        // Without its terminator the build fails anyway; reading on is safer than hiding the rest.
        if (end < lines.length) i = end + 1;
      }
    }
  }
  return found;
}
