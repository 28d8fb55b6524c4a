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
 * depth is bounded afterwards (V8's parser itself is iterative). With `freeze`, every object and
 * array of the result is frozen in the same walk.
 */
export function parseJson(input: Uint8Array | string, opts: { maxBytes?: number; what?: string; freeze?: boolean } = {}): JsonValue {
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
  checkDepth(value, 0, what, opts.freeze === true);
  return value as JsonValue;
}

/** Bounds the nesting depth; with `freeze`, freezes every object and array on the way. */
function checkDepth(v: unknown, depth: number, what: string, freeze: boolean): void {
  if (depth > MAX_JSON_DEPTH) throw new VouchError('INVALID_JSON', `${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (typeof v !== 'object' || v === null) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) checkDepth(v[i], depth + 1, what, freeze);
  } else {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    for (let i = 0; i < keys.length; i++) checkDepth(o[keys[i] as string], depth + 1, what, freeze);
  }
  if (freeze) Object.freeze(v);
}

/** UTF-8 byte order, which is what Go's sort over string keys gives (JS `<` compares UTF-16 units). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const ASCII = /^[\x00-\x7f]*$/;

function sortedKeys(o: JsonObject): string[] {
  const keys = Object.keys(o);
  // Fast path: ASCII keys sort the same in UTF-16 and UTF-8.
  if (keys.every((k) => ASCII.test(k))) return keys.sort();
  return keys.sort(compareUtf8);
}

/**
 * Strings JSON.stringify writes differently from the notary dialect: control characters (escaped
 * by JSON.stringify, raw in canonical JSON) and surrogates (a lone one is escaped by
 * JSON.stringify; keys with any surrogate also sort differently in UTF-16 than in UTF-8).
 */
const NOT_STRINGIFY_SAFE = /[\u0000-\u001f\ud800-\udfff]/;

/**
 * True when JSON.stringify(v) is already v's canonical text: plain objects whose own keys are
 * already in canonical order (V8 lists integer-like keys first, so that is checked, not assumed),
 * arrays without holes, safe integers, strings without control characters or surrogates. Anything
 * else (including what canonical JSON refuses) takes the general writer, which decides.
 */
function stringifySafe(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string': return !NOT_STRINGIFY_SAFE.test(v);
    case 'number': return Number.isSafeInteger(v);
    case 'boolean': return true;
    case 'object': {
      if (v === null) return true;
      if (depth >= MAX_JSON_DEPTH) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!stringifySafe(v[i], depth + 1)) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      // Without surrogates, UTF-16 order is code point order is UTF-8 byte order.
      let prev = '';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        if ((i > 0 && !(prev < k)) || NOT_STRINGIFY_SAFE.test(k)) return false;
        prev = k;
      }
      for (let i = 0; i < keys.length; i++) {
        const x = o[keys[i] as string];
        // an undefined member is left out by both writers
        if (x !== undefined && !stringifySafe(x, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function writeString(s: string): string {
  return NOT_STRINGIFY_SAFE.test(s) ? '"' + s.replace(/["\\]/g, (c) => '\\' + c) + '"' : JSON.stringify(s);
}

function writeValue(v: unknown, depth: number): string {
  if (depth > MAX_JSON_DEPTH) throw new VouchError('INVALID_CANONICAL_JSON', `value nests deeper than ${MAX_JSON_DEPTH} levels`);
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean': return v ? 'true' : 'false';
    case 'string': return writeString(v);
    case 'number':
      if (!Number.isInteger(v)) throw new VouchError('INVALID_CANONICAL_JSON', `canonical JSON allows integers only, got ${v}`);
      if (!Number.isSafeInteger(v)) throw new VouchError('INVALID_CANONICAL_JSON', `integer ${v} is too large to be represented exactly`);
      return String(v);
    case 'object': {
      if (stringifySafe(v, depth)) return JSON.stringify(v);
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i) out += ',';
          out += writeValue(v[i], depth + 1);
        }
        return out + ']';
      }
      const o = v as JsonObject;
      let out = '{';
      let first = true;
      for (const k of sortedKeys(o)) {
        if (o[k] === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += writeString(k) + ':' + writeValue(o[k], depth + 1);
      }
      return out + '}';
    }
    default:
      throw new VouchError('INVALID_CANONICAL_JSON', `cannot encode a value of type ${typeof v} as JSON`);
  }
}

/** Canonical text (notary dialect). */
export function canonicalString(value: unknown): string {
  return writeValue(value, 0);
}

/** Canonical bytes (notary dialect): what signatures are computed over. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalString(value), 'utf8');
}
