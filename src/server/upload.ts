// From multipart parts to role updates (notary server/handlers/default.go, atomicUpdateHandler; notary server/handlers/validation.go). Pure. Parts are checked in the
// order sent, as notary does: a part without filename → NO_FILENAME, a filename that is not a role
// (after stripping `.json`) → INVALID_ROLE with the role as detail, a body that does not decode into
// notary's `{signed:{_type,expires,version},signatures}` shape → MALFORMED_JSON. A later part for
// the same role replaces an earlier one.
import { isJsonObject, parseJson, type JsonObject, type JsonValue } from '../core/index.js';
import { NotaryHttpError } from './errors.js';
import type { MultipartPart } from './multipart.js';

export interface RoleUpload {
  role: string;
  /** exact bytes as uploaded: stored and hashed as they are */
  data: Buffer;
  /** `signed.version` (0 when absent, as Go's zero value) */
  version: number;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Go's encoding/json field lookup: exact name first, then a case-insensitive match. */
function field(o: JsonObject, name: string): JsonValue | undefined {
  if (Object.prototype.hasOwnProperty.call(o, name)) return o[name];
  const lower = name.toLowerCase();
  let found: JsonValue | undefined;
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) found = o[k];
  return found;
}

function isBase64(s: string): boolean {
  const t = s.replace(/[\r\n]/g, '');
  return t.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(t);
}

/** Whether a part decodes as notary's data.SignedMeta; returns signed.version, or undefined if not. */
export function signedMetaVersion(data: Buffer): number | undefined {
  let doc: JsonValue;
  try {
    doc = parseJson(data, { what: 'metadata' });
  } catch {
    return undefined;
  }
  if (doc === null) return 0;
  if (!isJsonObject(doc)) return undefined;
  let version = 0;
  const signed = field(doc, 'signed');
  if (signed !== undefined && signed !== null) {
    if (!isJsonObject(signed)) return undefined;
    const type = field(signed, '_type');
    if (type !== undefined && type !== null && typeof type !== 'string') return undefined;
    const expires = field(signed, 'expires');
    if (expires !== undefined && expires !== null && (typeof expires !== 'string' || !RFC3339.test(expires))) return undefined;
    const v = field(signed, 'version');
    if (v !== undefined && v !== null) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return undefined;
      version = v;
    }
  }
  const sigs = field(doc, 'signatures');
  if (sigs !== undefined && sigs !== null) {
    if (!Array.isArray(sigs)) return undefined;
    for (const s of sigs) {
      if (s === null) continue;
      if (!isJsonObject(s)) return undefined;
      for (const f of ['keyid', 'method']) {
        const x = field(s, f);
        if (x !== undefined && x !== null && typeof x !== 'string') return undefined;
      }
      const sig = field(s, 'sig');
      if (sig !== undefined && sig !== null && (typeof sig !== 'string' || !isBase64(sig))) return undefined;
    }
  }
  return version;
}

export function parseUpload(parts: readonly MultipartPart[], isValidRole: (role: string) => boolean): Map<string, RoleUpload> {
  const out = new Map<string, RoleUpload>();
  for (const part of parts) {
    const role = part.filename.endsWith('.json') ? part.filename.slice(0, -'.json'.length) : part.filename;
    if (role === '') throw new NotaryHttpError('NO_FILENAME');
    if (!isValidRole(role)) throw new NotaryHttpError('INVALID_ROLE', role);
    const version = signedMetaVersion(part.data);
    if (version === undefined) throw new NotaryHttpError('MALFORMED_JSON', undefined, { reason: `part ${role} is not notary metadata JSON` });
    out.delete(role); // keep the order of the last occurrence
    out.set(role, { role, data: part.data, version });
  }
  return out;
}
