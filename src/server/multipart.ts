// A bounded multipart/form-data parser for publish uploads (notary server/handlers/default.go, atomicUpdateHandler). Pure: bytes in, parts out.
// Written here rather than taken from busboy because notary keeps the part's `filename` verbatim
// (`targets/releases` must not be reduced to its base name) and every framing error must become a
// 400 MALFORMED_UPLOAD, never a crash.

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

export interface MultipartPart {
  /** form field name (ignored by notary) */
  name: string | undefined;
  /** the filename parameter as sent ('' when absent) */
  filename: string;
  data: Buffer;
}

export interface MultipartLimits {
  /** most parts accepted */
  maxParts: number;
  /** largest single part body */
  maxPartBytes: number;
  /** largest header block of one part */
  maxHeaderBytes: number;
}

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = { maxParts: 1000, maxPartBytes: 100 * 1024 * 1024, maxHeaderBytes: 16 * 1024 };

/** Parses a media type (`type/subtype; k=v; k="quoted"; k*=UTF-8''enc`) as Go's mime.ParseMediaType. */
export function parseMediaType(header: string): { type: string; params: Record<string, string> } | undefined {
  const semi = header.indexOf(';');
  const type = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  if (type === '') return undefined;
  const params: Record<string, string> = {};
  const extended: Record<string, string> = {};
  let rest = semi < 0 ? '' : header.slice(semi + 1);
  for (;;) {
    rest = rest.replace(/^[\s;]+/, '');
    if (rest === '') break;
    const eq = rest.indexOf('=');
    if (eq <= 0) return undefined;
    const key = rest.slice(0, eq).trim().toLowerCase();
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(key)) return undefined;
    rest = rest.slice(eq + 1).replace(/^\s+/, '');
    let value: string;
    if (rest.startsWith('"')) {
      let i = 1;
      let out = '';
      for (; i < rest.length; i++) {
        const c = rest[i]!;
        if (c === '\\' && i + 1 < rest.length) { out += rest[++i]; continue; }
        if (c === '"') break;
        out += c;
      }
      if (i >= rest.length) return undefined; // unterminated quote
      value = out;
      rest = rest.slice(i + 1);
    } else {
      const m = /^[^;\s]*/.exec(rest)!;
      value = m[0];
      rest = rest.slice(value.length);
    }
    if (key.endsWith('*')) {
      const decoded = decodeRfc2231(value);
      if (decoded === undefined) return undefined;
      extended[key.slice(0, -1)] = decoded;
    } else {
      if (key in params) return undefined; // duplicate parameter
      params[key] = value;
    }
  }
  return { type, params: { ...params, ...extended } };
}

function decodeRfc2231(v: string): string | undefined {
  const m = /^([^']*)'[^']*'(.*)$/.exec(v);
  if (!m) return undefined;
  const charset = m[1]!.toLowerCase();
  if (charset !== 'utf-8' && charset !== 'us-ascii') return undefined;
  try {
    return decodeURIComponent(m[2]!);
  } catch {
    return undefined;
  }
}

/** The boundary of a multipart/form-data content type, or a MultipartError. */
export function formDataBoundary(contentType: string | undefined): string {
  if (!contentType) throw new MultipartError('request Content-Type is not multipart/form-data');
  const mt = parseMediaType(contentType);
  if (!mt || mt.type !== 'multipart/form-data') throw new MultipartError('request Content-Type is not multipart/form-data');
  const b = mt.params['boundary'];
  if (!b || b.length > 70) throw new MultipartError('no multipart boundary param in Content-Type');
  return b;
}

/**
 * Splits a multipart body into parts. Accepts CRLF and bare LF line ends (as Go does), ignores
 * the preamble and the epilogue, and requires the closing delimiter.
 */
export function parseMultipart(body: Buffer, boundary: string, limits: MultipartLimits = DEFAULT_MULTIPART_LIMITS): MultipartPart[] {
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const parts: MultipartPart[] = [];
  // First delimiter: at the start or after a newline.
  let pos = findDelimiter(body, delim, 0, true);
  if (pos < 0) throw new MultipartError('multipart body has no boundary');
  pos += delim.length;
  for (;;) {
    // After a delimiter: `--` closes, otherwise optional whitespace then a newline.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts;
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    else if (body[pos] === 0x0a) pos += 1;
    else throw new MultipartError('malformed multipart delimiter line');
    if (parts.length >= limits.maxParts) throw new MultipartError(`more than ${limits.maxParts} parts`);
    // Headers end at an empty line.
    const { headers, end } = readHeaders(body, pos, limits.maxHeaderBytes);
    pos = end;
    const next = findDelimiter(body, delim, pos, false);
    if (next < 0) throw new MultipartError('multipart part is not terminated');
    let dataEnd = next;
    if (dataEnd > pos && body[dataEnd - 1] === 0x0a) dataEnd--;
    if (dataEnd > pos && body[dataEnd - 1] === 0x0d) dataEnd--;
    if (dataEnd - pos > limits.maxPartBytes) throw new MultipartError(`a part is larger than ${limits.maxPartBytes} bytes`);
    const disposition = headers.get('content-disposition');
    let name: string | undefined;
    let filename = '';
    if (disposition !== undefined) {
      const mt = parseMediaType(disposition);
      if (mt) {
        name = mt.params['name'];
        filename = mt.params['filename'] ?? '';
      }
    }
    parts.push({ name, filename, data: Buffer.from(body.subarray(pos, dataEnd)) });
    pos = next + delim.length;
  }
}

/** Index of the next delimiter that starts a line (preceded by LF, or at `from` when `atStart`). */
function findDelimiter(body: Buffer, delim: Buffer, from: number, atStart: boolean): number {
  let i = from;
  for (;;) {
    const at = body.indexOf(delim, i);
    if (at < 0) return -1;
    if ((atStart && at === from) || (at > 0 && body[at - 1] === 0x0a)) {
      // The delimiter must be followed by `--`, whitespace, or a newline.
      const c = body[at + delim.length];
      if (c === undefined || c === 0x2d || c === 0x0d || c === 0x0a || c === 0x20 || c === 0x09) return at;
    }
    i = at + 1;
  }
}

function readHeaders(body: Buffer, start: number, maxBytes: number): { headers: Map<string, string>; end: number } {
  const headers = new Map<string, string>();
  let pos = start;
  for (;;) {
    const nl = body.indexOf(0x0a, pos);
    if (nl < 0 || nl - start > maxBytes) throw new MultipartError('malformed multipart part headers');
    let line = body.subarray(pos, nl).toString('utf8');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = nl + 1;
    if (line === '') return { headers, end: pos };
    if (/^[ \t]/.test(line)) continue; // obsolete folding: ignore
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError('malformed multipart part header');
    const key = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(key)) headers.set(key, line.slice(colon + 1).trim());
  }
}
