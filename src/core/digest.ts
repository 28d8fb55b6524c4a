// Hashes and OCI-style digests ("sha256:<hex>").
import { createHash } from 'node:crypto';
import { VouchError } from './errors.js';

export type HashAlgorithm = 'sha256' | 'sha512';
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['sha256', 'sha512'];
const HEX_LENGTH: Record<HashAlgorithm, number> = { sha256: 64, sha512: 128 };

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

export function sha512(data: Uint8Array | string): Buffer {
  return createHash('sha512').update(data).digest();
}

export function hash(algorithm: HashAlgorithm, data: Uint8Array): Buffer {
  return createHash(algorithm).update(data).digest();
}

export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return name === 'sha256' || name === 'sha512';
}

export interface Digest {
  readonly algorithm: HashAlgorithm;
  readonly hex: string;
}

const DIGEST = /^(sha256|sha512):([0-9a-f]+)$/;

/** Parses "sha256:<64 lowercase hex>" (or sha512); anything else is refused. */
export function parseDigest(text: string): Digest {
  const m = DIGEST.exec(text);
  if (!m) throw new VouchError('INVALID_ARGUMENT', `'${text}' is not a digest of the form sha256:<hex>`);
  const algorithm = m[1] as HashAlgorithm;
  const hex = m[2] as string;
  if (hex.length !== HEX_LENGTH[algorithm]) {
    throw new VouchError('INVALID_ARGUMENT', `'${text}' has ${hex.length} hex characters; ${algorithm} needs ${HEX_LENGTH[algorithm]}`);
  }
  return { algorithm, hex };
}

export function formatDigest(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}

export function digestOf(data: Uint8Array, algorithm: HashAlgorithm = 'sha256'): string {
  return `${algorithm}:${hash(algorithm, data).toString('hex')}`;
}
