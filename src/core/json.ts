// JSON parsing with bounds, and canonical JSON in the dialect notary signs over
// (docker/go canonical/json): keys sorted by UTF-8 bytes, no whitespace, only `"` and `\`
// escaped, integers only.
import { VouchError } from './errors.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject { [key: string]: JsonValue }

/** Nesting deeper than this is refused: real metadata is shallow, and recursion must stay bounded. */
export const MAX_JSON_DEPTH = 64;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses untrusted bytes as JSON. `maxBytes` bounds the input before any work is done;
 * depth is bounded afterwards (V8's parser itself is iterative).
 */
export function parseJson(input: Uint8Array | string, opts: { maxBytes?: number; what?: string } = {}): JsonValue {
  const what = opts.what ?? 'document';
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (opts.maxBytes !== undefined && size > opts.maxBytes) {
    throw new VouchError('TOO_LARGE', `${what} is ${size} bytes, over the limit of ${opts.maxBytes}`, { details: { size, limit: opts.maxBytes } });
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8'));
  } catch (err) {
    throw new VouchError('INVALID_JSON', `${what} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  checkDepth(value, 0, what);
  return value as JsonValue;
}

function checkDepth(v: unknown, depth: number, what: string): void {
  if (depth > MAX_JSON_DEPTH) throw new VouchError('INVALID_JSON', `${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (Array.isArray(v)) for (const x of v) checkDepth(x, depth + 1, what);
  else if (isJsonObject(v)) for (const k of Object.keys(v)) checkDepth(v[k], depth + 1, what);
}

/** UTF-8 byte order, which is what Go's sort over string keys gives (JS `<` compares UTF-16 units). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function sortedKeys(o: JsonObject): string[] {
  const keys = Object.keys(o);
  // Fast path: ASCII keys sort the same in UTF-16 and UTF-8.
  if (keys.every((k) => /^[\x00-\x7f]*$/.test(k))) return keys.sort();
  return keys.sort(compareUtf8);
}

function writeString(s: string, out: string[]): void {
  out.push('"', s.replace(/["\\]/g, (c) => '\\' + c), '"');
}

function writeValue(v: unknown, out: string[], depth: number): void {
  if (depth > MAX_JSON_DEPTH) throw new VouchError('INVALID_CANONICAL_JSON', `value nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (v === null) { out.push('null'); return; }
  switch (typeof v) {
    case 'boolean': out.push(v ? 'true' : 'false'); return;
    case 'string': writeString(v, out); return;
    case 'number':
      if (!Number.isInteger(v)) throw new VouchError('INVALID_CANONICAL_JSON', `canonical JSON allows integers only, got ${v}`);
      if (!Number.isSafeInteger(v)) throw new VouchError('INVALID_CANONICAL_JSON', `integer ${v} is too large to be represented exactly`);
      out.push(String(v));
      return;
    case 'object': {
      if (Array.isArray(v)) {
        out.push('[');
        v.forEach((x, i) => { if (i) out.push(','); writeValue(x, out, depth + 1); });
        out.push(']');
        return;
      }
      const o = v as JsonObject;
      out.push('{');
      let first = true;
      for (const k of sortedKeys(o)) {
        if (o[k] === undefined) continue;
        if (!first) out.push(',');
        first = false;
        writeString(k, out);
        out.push(':');
        writeValue(o[k], out, depth + 1);
      }
      out.push('}');
      return;
    }
    default:
      throw new VouchError('INVALID_CANONICAL_JSON', `cannot encode a value of type ${typeof v} as JSON`);
  }
}

/** Canonical text (notary dialect). */
export function canonicalString(value: unknown): string {
  const out: string[] = [];
  writeValue(value, out, 0);
  return out.join('');
}

/** Canonical bytes (notary dialect): what signatures are computed over. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalString(value), 'utf8');
}
