// Every bound of `vouch registry`, with its default, in one place. The CLI flags of `vouch registry`
// and the README name these.

import { VouchError } from '../core/index.js';
import { MAX_BLOB_BYTES, MAX_MANIFEST_BYTES } from '../oci/mediatypes.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export interface RegistryLimits {
  /** Largest blob. */
  maxBlobBytes: number;
  /** Largest manifest. */
  maxManifestBytes: number;
  /** Largest page of tags or catalog entries. */
  maxPageSize: number;
  /** Open upload sessions in one repository. */
  maxUploadsPerRepository: number;
  /** Open upload sessions in the whole registry. */
  maxUploads: number;
  /** Bytes held by the open upload sessions of one repository. */
  maxUploadBytesPerRepository: number;
  /** Bytes held by all open upload sessions. */
  maxUploadBytes: number;
  /** An upload session no request has touched for this long is deleted, with its data. */
  uploadIdleMs: number;
  /** Bytes of files the registry keeps on disk (blobs, manifests, links, sessions); writes past it are refused. */
  diskBudgetBytes: number;
}

export const DEFAULT_REGISTRY_LIMITS: RegistryLimits = {
  maxBlobBytes: MAX_BLOB_BYTES,
  // distribution's own limit (registry/handlers/manifests.go, maxManifestBodySize = 4 << 20).
  maxManifestBytes: MAX_MANIFEST_BYTES,
  maxPageSize: 1000,
  // dockerd pushes at most 5 layers at once (--max-concurrent-uploads); 16 is three such pushes.
  maxUploadsPerRepository: 16,
  maxUploads: 128,
  // Two blobs of the largest size in flight per repository, four in the registry.
  maxUploadBytesPerRepository: 2 * 10 * GiB,
  maxUploadBytes: 4 * 10 * GiB,
  // distribution purges uploads older than a week, once a day (configuration.md, uploadpurging);
  // vouch counts idle time, so a live upload is never cut, and an abandoned one goes within minutes.
  uploadIdleMs: 15 * 60 * 1000,
  diskBudgetBytes: 100 * GiB,
};

/** The limits with `given` applied over the defaults; every value must be a positive integer. */
export function registryLimits(given: Partial<RegistryLimits> = {}): RegistryLimits {
  const out = { ...DEFAULT_REGISTRY_LIMITS };
  for (const [k, v] of Object.entries(given) as [keyof RegistryLimits, number | undefined][]) {
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v <= 0) throw new VouchError('INVALID_ARGUMENT', `registry limit ${k} must be a positive integer, not ${v}`);
    out[k] = v;
  }
  return out;
}

/** Refused because a bound on upload sessions is reached: 429 TOOMANYREQUESTS. */
export class UploadLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadLimitError';
  }
}

/** Refused because the write would take the registry past its disk budget: 507. */
export class DiskBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiskBudgetError';
  }
}
