// cosign's blob signatures (sigstore/cosign cmd/cosign/cli/sign/sign_blob.go, verify/verify_blob.go):
// the signature over the blob's bytes (base64 on stdout or in --output-signature), and the two
// bundle files --bundle writes: the older `{base64Signature, cert, rekorBundle}` (pkg/cosign/fetch.go
// LocalSignedPayload) and, with --new-bundle-format, a Sigstore bundle v0.3. Pure: building and
// reading those files; verification is keyless.ts's.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { bundleToJSON, toMessageSignatureBundle } from '@sigstore/bundle';
import { VouchError, fromBase64, isJsonObject, parseJson, toBase64, type JsonValue } from '../../core/index.js';
import { MAX_BUNDLE_BYTES, isSigstoreBundleJson, legacyPartsToBundle, parseSigstoreBundle, type LegacySigstoreParts } from './keyless.js';
import type { Bundle } from '@sigstore/bundle';

/** A signature file is base64 of at most a few hundred bytes (RSA-4096: 512); anything far larger is not one. */
export const MAX_SIGNATURE_FILE_BYTES = 64 * 1024;

/**
 * The older bundle file of a key-based signature without a transparency-log entry: only
 * `base64Signature`, as cosign v2.6 writes it (a `cert` holding the public key makes cosign v2's
 * verify-blob fail: it parses `cert` as a certificate).
 */
export function legacyBlobBundle(signature: Uint8Array): Buffer {
  return Buffer.from(JSON.stringify({ base64Signature: toBase64(signature) }));
}

/**
 * The Sigstore bundle v0.3 of a key-based signature (no log entry, no timestamp): the SHA-256 of
 * the blob, the signature, and the key's hint (base64 SHA-256 of its SubjectPublicKeyInfo, as
 * sigstore-go names keys).
 */
export function newBlobBundle(blob: Uint8Array, signature: Uint8Array, key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const spki = pub.export({ format: 'der', type: 'spki' });
  const bundle = toMessageSignatureBundle({
    digest: createHash('sha256').update(blob).digest(),
    signature: Buffer.from(signature),
    keyHint: toBase64(createHash('sha256').update(spki).digest()),
  });
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

/** A `--signature` file or value: base64 (as cosign writes it), else the raw bytes. */
export function parseSignatureFile(bytes: Uint8Array): Buffer {
  if (bytes.byteLength > MAX_SIGNATURE_FILE_BYTES) throw new VouchError('TOO_LARGE', `the signature is over ${MAX_SIGNATURE_FILE_BYTES} bytes`);
  const text = Buffer.from(bytes).toString('utf8').trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) return fromBase64(text, 'signature');
  return Buffer.from(bytes);
}

/** What a `--bundle` file holds: a Sigstore bundle, or cosign's older blob bundle as its parts. */
export type BlobBundle =
  | { format: 'sigstore'; bundle: Bundle }
  | { format: 'legacy'; signature: Buffer; cert?: string; rekorBundle?: JsonValue };

export function parseBlobBundle(bytes: Uint8Array, what = 'the bundle'): BlobBundle {
  const json = parseJson(bytes, { maxBytes: MAX_BUNDLE_BYTES, what });
  if (isSigstoreBundleJson(json)) return { format: 'sigstore', bundle: parseSigstoreBundle(json, what) };
  if (!isJsonObject(json) || typeof json.base64Signature !== 'string') {
    throw new VouchError('INVALID_SIGNATURE', `${what} is neither a Sigstore bundle nor cosign's {base64Signature, cert, rekorBundle} file`);
  }
  const signature = fromBase64(json.base64Signature, `${what} base64Signature`);
  let cert: string | undefined;
  if (typeof json.cert === 'string' && json.cert !== '') cert = fromBase64(json.cert, `${what} cert`).toString('utf8');
  const rekor = json.rekorBundle;
  return { format: 'legacy', signature, ...(cert !== undefined ? { cert } : {}), ...(rekor !== undefined && rekor !== null ? { rekorBundle: rekor } : {}) };
}

/** The older blob bundle (with a certificate) as a Sigstore bundle over `blob`. */
export function legacyBlobToBundle(b: Extract<BlobBundle, { format: 'legacy' }>, blob: Uint8Array, extra: Pick<LegacySigstoreParts, 'chain' | 'rfc3161Timestamp'> = {}): Bundle {
  return legacyPartsToBundle({
    signature: b.signature, payload: blob, ...extra,
    ...(b.cert !== undefined ? { certificate: b.cert } : {}),
    ...(b.rekorBundle !== undefined ? { rekorBundle: b.rekorBundle } : {}),
  }, 'the bundle');
}
