// The registry API's errors (distribution-spec, "Error Codes":
// https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes) and the checks of
// names and digests that raise them, for every server that speaks the API (`vouch registry`, `vouch gate`).
import { BUSY_RETRY_AFTER_SECONDS, type BodyRefused } from '../httpd/index.js';
import { isRepositoryName, parseDigest } from '../core/index.js';

/** distribution-spec's error codes (spec.md, "Error Codes"), with docker-registry's TOOMANYREQUESTS and UNAVAILABLE. */
export const DISTRIBUTION_ERROR_CODES = ['BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'TAG_INVALID', 'UNAUTHORIZED', 'DENIED', 'UNSUPPORTED',
  'TOOMANYREQUESTS', 'UNAVAILABLE'] as const;
export type DistributionErrorCode = typeof DISTRIBUTION_ERROR_CODES[number];

/** A failure that becomes an OCI error body (the registry's, and the gate's in src/gate). */
export class RegistryError extends Error {
  constructor(readonly status: number, readonly code: DistributionErrorCode, message: string, readonly detail: unknown = {}, readonly headers: Record<string, string> = {}) { super(message); }
}

export const JSON_TYPE = 'application/json; charset=utf-8';
export const API_VERSION = { 'docker-distribution-api-version': 'registry/2.0' };

export function errorBody(code: string, message: string, detail: unknown): string {
  return JSON.stringify({ errors: [{ code, message, detail }] });
}

export function requireDigest(text: string | undefined): string {
  if (!text) throw new RegistryError(400, 'DIGEST_INVALID', 'a digest is required');
  try {
    const d = parseDigest(text);
    return `${d.algorithm}:${d.hex}`;
  } catch {
    throw new RegistryError(400, 'DIGEST_INVALID', `invalid digest '${text}'`, { digest: text });
  }
}

export function requireName(name: string): string {
  if (!isRepositoryName(name)) throw new RegistryError(400, 'NAME_INVALID', `invalid repository name '${name}'`, { name });
  return name;
}

/** The OCI error for a body that was not read whole. */
export function bodyRefusal(err: BodyRefused): RegistryError {
  switch (err.kind) {
    case 'too-large': return new RegistryError(413, 'SIZE_INVALID', err.message, { limit: err.limit });
    case 'busy': return new RegistryError(503, 'UNAVAILABLE', err.message, {}, { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) });
    case 'aborted': return new RegistryError(400, 'BLOB_UPLOAD_INVALID', err.message);
  }
}
