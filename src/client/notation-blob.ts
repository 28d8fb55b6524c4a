// Notation blob signatures: detached `<file>.jws.sig` / `<file>.cose.sig` envelopes over a file's
// descriptor, signed and verified as notation's `notation blob sign|verify` does (notation
// v2.0.0-alpha.1 cmd/notation/blob/sign.go, verify.go; notation-go notation.go SignBlob /
// VerifyBlob, signer.SignBlob, verifier.VerifyBlob). The blob's digest uses the hash of the
// signing key's algorithm (sha256, sha384 or sha512). Formats and verdicts are the pure `sig`
// module's; this file reads and writes the files.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { VouchError, isVouchError } from '../core/index.js';
import { writeFileAtomic } from '../files/index.js';
import {
  MAX_ENVELOPE_BYTES, SIGNATURE_FORMATS, applicableBlobPolicy, keySpecOf, parseSignatureFormat, signEnvelope, verifyNotationSignature,
  type BlobTrustPolicyDocument, type HashName, type NotationVerdict, type ResolvedPolicy, type SignatureFormat, type TargetArtifact,
  type TrustStoreContents, type TrustStoreType, type Timestamper, type CrlFetcher, type OcspQuery,
} from '../sig/index.js';
import { checkUserMetadataKeys } from './notation.js';

export const DEFAULT_BLOB_MEDIA_TYPE = 'application/octet-stream';

/** `<signature directory>/<blob file name>.<format>.sig` (sign.go signatureFilepath). */
export function blobSignaturePath(signatureDirectory: string, blobPath: string, format: SignatureFormat): string {
  return join(signatureDirectory, `${basename(blobPath)}.${format}.sig`);
}

/**
 * The envelope format a signature file's name says: `NAME.jws.sig` or `NAME.cose.sig`
 * (verify.go parseSignatureMediaType, with its messages).
 */
export function signatureFormatOfPath(signaturePath: string): SignatureFormat {
  const name = basename(signaturePath);
  if (extname(name).toLowerCase() !== '.sig') throw new VouchError('INVALID_ARGUMENT', `invalid signature filename ${name}. The file extension must be .sig`);
  const parts = name.split('.');
  if (parts.length < 3) throw new VouchError('INVALID_ARGUMENT', `invalid signature filename ${name}. A valid signature file name must contain signature format and .sig file extension`);
  return parseSignatureFormat((parts[parts.length - 2] as string).toLowerCase());
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:\\s*;\\s*${TOKEN}=(?:${TOKEN}|"(?:[^"\\\\]|\\\\.)*"))*\\s*$`);

/** A media type as Go's mime.ParseMediaType accepts it: type/subtype, optional parameters (notation.go validateContentMediaType). */
export function checkContentMediaType(mediaType: string): void {
  if (!MEDIA_TYPE.test(mediaType)) throw new VouchError('INVALID_ARGUMENT', `invalid content media-type "${mediaType}": not of the form type/subtype[; parameter=value]`);
}

/** Size and digests of a regular file, read once. */
async function digestFile(path: string, hashes: readonly HashName[]): Promise<{ size: number; digests: Partial<Record<HashName, string>> }> {
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new VouchError(err.code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'STORAGE', `open ${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
  });
  if (!st.isFile()) throw new VouchError('INVALID_ARGUMENT', `${path} is not a regular file`);
  const hashers = hashes.map((h) => [h, createHash(h)] as const);
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    size += (chunk as Buffer).byteLength;
    for (const [, h] of hashers) h.update(chunk as Buffer);
  }
  return { size, digests: Object.fromEntries(hashers.map(([name, h]) => [name, `${name}:${h.digest('hex')}`])) };
}

/** The signature file, written atomically (files/atomic.ts): never half-written. */
async function writeSignatureFile(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, bytes, { mode: 0o600, dirMode: 0o700 });
  } catch (err) {
    throw new VouchError('STORAGE', `failed to write signature to file: ${(err as Error).message}`, { cause: err });
  }
}

export interface BlobSignOptions {
  blobPath: string;
  /** where `<blob file name>.<format>.sig` goes */
  signatureDirectory: string;
  format: SignatureFormat;
  /** the blob's media type in the signed descriptor (default application/octet-stream) */
  mediaType?: string;
  privateKey: KeyObject;
  chain: readonly Uint8Array[];
  now: Date;
  expiryMs?: number;
  userMetadata?: Record<string, string>;
  /** overwrite an existing signature file */
  force?: boolean;
  /** an RFC 3161 timestamp of the signature (client/tsa.ts) */
  timestamp?: Timestamper;
}

export interface BlobSignResult {
  signaturePath: string;
  /** the signed descriptor */
  target: TargetArtifact;
  /** a signature file was there and --force replaced it */
  overwritten: boolean;
}

/** `notation blob sign`: signs the blob's descriptor and writes the detached envelope. */
export async function signBlob(opts: BlobSignOptions): Promise<BlobSignResult> {
  const mediaType = opts.mediaType ?? DEFAULT_BLOB_MEDIA_TYPE;
  if (mediaType === '') throw new VouchError('INVALID_ARGUMENT', 'content media-type cannot be empty');
  checkContentMediaType(mediaType);
  const metadata = opts.userMetadata ?? {};
  checkUserMetadataKeys(metadata);
  const signaturePath = blobSignaturePath(opts.signatureDirectory, opts.blobPath, opts.format);
  const existing = await lstat(signaturePath).then(() => true, () => false);
  if (existing && !opts.force) {
    throw new VouchError('CONFLICT', `the signature file ${signaturePath} already exists`, { hint: 'use --force to overwrite it' });
  }
  // signer.SignBlob: the digest uses the hash of the key's signature algorithm
  const hash = keySpecOf(createPublicKey(opts.privateKey)).hash;
  const { size, digests } = await digestFile(opts.blobPath, [hash]);
  const target: TargetArtifact = { mediaType, digest: digests[hash] as string, size, ...(Object.keys(metadata).length > 0 ? { annotations: metadata } : {}) };
  const signed = await signEnvelope(opts.format, {
    target, privateKey: opts.privateKey, chain: opts.chain, signingTime: opts.now,
    ...(opts.expiryMs !== undefined ? { expiry: new Date(opts.now.getTime() + opts.expiryMs) } : {}),
    ...(opts.timestamp ? { timestamp: opts.timestamp } : {}),
  });
  await writeSignatureFile(signaturePath, signed.envelope);
  return { signaturePath, target, overwritten: existing };
}

export interface BlobVerifyOptions {
  blobPath: string;
  signaturePath: string;
  policy: BlobTrustPolicyDocument;
  /** `--policy-name`; default: the global statement */
  policyName?: string;
  /** `--media-type`: compared with the signed one only when given */
  mediaType?: string;
  userMetadata?: Record<string, string>;
  readTrustStores: (stores: readonly { type: TrustStoreType; name: string }[]) => Promise<TrustStoreContents>;
  now: Date;
  /** CRLs and OCSP for the revocation checks (client/crl.ts, client/ocsp.ts) */
  fetchCrl?: CrlFetcher;
  queryOcsp?: OcspQuery;
}

export interface BlobVerifyResult {
  blobPath: string;
  signaturePath: string;
  policy: { name: string; level: ResolvedPolicy['level'] };
  verified: boolean;
  /** the policy skips verification */
  skipped: boolean;
  verdict?: NotationVerdict;
  /** why the signature could not be read */
  error?: { code: string; message: string };
}

/** `notation blob verify`: true when the signature passes every check the blob policy enforces. Writes nothing. */
export async function verifyBlob(opts: BlobVerifyOptions): Promise<BlobVerifyResult> {
  const format = signatureFormatOfPath(opts.signaturePath);
  if (opts.mediaType !== undefined) {
    if (opts.mediaType === '') throw new VouchError('INVALID_ARGUMENT', '--media-type is set but with empty value');
    checkContentMediaType(opts.mediaType);
  }
  const policy = applicableBlobPolicy(opts.policy, opts.policyName);
  const base = { blobPath: opts.blobPath, signaturePath: opts.signaturePath, policy: { name: policy.name, level: policy.level } };
  const st = await stat(opts.signaturePath).catch((err: NodeJS.ErrnoException) => {
    throw new VouchError(err.code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'STORAGE', `open ${opts.signaturePath}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
  });
  if (!st.isFile()) throw new VouchError('INVALID_ARGUMENT', `${opts.signaturePath} is not a regular file`);
  if (st.size > MAX_ENVELOPE_BYTES) throw new VouchError('TOO_LARGE', `signature file ${opts.signaturePath} is ${st.size} bytes, over the limit of ${MAX_ENVELOPE_BYTES}`);
  const envelope = await readFile(opts.signaturePath);
  if (envelope.byteLength === 0) throw new VouchError('INVALID_SIGNATURE', 'signature cannot be nil or empty');
  if (policy.level === 'skip') return { ...base, verified: true, skipped: true };
  const trustStores = await opts.readTrustStores(policy.trustStores);
  // Which hash the signature used is only known once it is read: digest the blob with all three, in one pass.
  const { size, digests } = await digestFile(opts.blobPath, ['sha256', 'sha384', 'sha512']);
  try {
    const verdict = await verifyNotationSignature({
      subject: { blob: true, size, digests: digests as Record<HashName, string>, ...(opts.mediaType !== undefined ? { mediaType: opts.mediaType } : {}) },
      envelope, envelopeMediaType: SIGNATURE_FORMATS[format], policy, trustStores, now: opts.now,
      ...(opts.userMetadata ? { userMetadata: opts.userMetadata } : {}),
      ...(opts.fetchCrl ? { fetchCrl: opts.fetchCrl } : {}), ...(opts.queryOcsp ? { queryOcsp: opts.queryOcsp } : {}),
    });
    return { ...base, verified: verdict.verified, skipped: false, verdict };
  } catch (err) {
    if (!isVouchError(err)) throw err;
    return { ...base, verified: false, skipped: false, error: { code: err.code, message: err.message } };
  }
}
