// Sigstore signatures, verified offline with @sigstore/verify against a user-given trusted root:
// Fulcio certificate chains, the certificate's validity at the signing time (from the Rekor
// entry's integrated time or an RFC 3161 timestamp), SCTs, Rekor SETs and inclusion proofs; then
// cosign's identity policy (sigstore/cosign pkg/cosign/verify.go CheckCertificatePolicy):
// --certificate-identity(-regexp), --certificate-oidc-issuer(-regexp) and the GitHub workflow
// claims Fulcio writes into its certificates (sigstore/fulcio docs/oid-info.md). Key-based bundles
// go through the same function with the key in place of a CA. cosign's older forms (a `.sig` layer's
// `dev.sigstore.cosign/certificate`, `/chain` and `/bundle` annotations; `sign-blob --bundle`'s
// `{base64Signature, cert, rekorBundle}` file) are converted to a v0.1 bundle first. Pure: the time
// is a parameter.
import { createHash, type KeyObject } from 'node:crypto';
import { BUNDLE_V01_MEDIA_TYPE, bundleFromJSON, type Bundle } from '@sigstore/bundle';
import type { X509Certificate as SigstoreCertificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { VouchError, fromBase64, isJsonObject, isVouchError, parseCertificateBundle, parseJson, toBase64, type JsonValue } from '../../core/index.js';
import { checkClaims, type CosignVerdict, type LegacySignatureLayer } from './legacy.js';
import type { BundleSignatureVerifier } from './bundle.js';
import type { LoadedTrustedRoot } from './trustroot.js';

/** A message-signature bundle is a few KiB; a DSSE one carries its attestation (cosign caps those at 128 MiB, we at this). */
export const MAX_BUNDLE_BYTES = 8 * 1024 * 1024;
const MAX_TLOG_ENTRIES = 8;
/** An inclusion proof of a tree of 2^63 leaves has 63 hashes. */
const MAX_PROOF_HASHES = 64;
const MAX_CHAIN_CERTIFICATES = 10;
const MAX_CERTIFICATE_BYTES = 32 * 1024;
const MAX_TIMESTAMPS = 8;
const MAX_REGEXP_LENGTH = 1024;

/** Fulcio's GitHub workflow claims, the deprecated v1 extensions cosign's flags read (sigstore/cosign pkg/cosign/certextensions.go). */
export const GITHUB_WORKFLOW_OIDS = {
  trigger: '1.3.6.1.4.1.57264.1.2',
  sha: '1.3.6.1.4.1.57264.1.3',
  name: '1.3.6.1.4.1.57264.1.4',
  repository: '1.3.6.1.4.1.57264.1.5',
  ref: '1.3.6.1.4.1.57264.1.6',
} as const;
export type GithubWorkflowClaim = keyof typeof GITHUB_WORKFLOW_OIDS;

/** Who must have signed: cosign's --certificate-* flags. */
export interface IdentityPolicy {
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
  github?: Partial<Record<GithubWorkflowClaim, string>>;
}

/** What verified: the signer's certificate identity (keyless) and the times that vouched for the signing. */
export interface SigstoreVerified {
  kind: 'key' | 'certificate';
  /** subject alternative name, OIDC issuer, GitHub claims present in the certificate */
  identity?: { subject: string | undefined; issuer: string | undefined; github: Partial<Record<GithubWorkflowClaim, string>> };
  /** verified transparency-log entries and RFC 3161 timestamps */
  tlogEntries: number;
  rfc3161Timestamps: number;
  /** the earliest verified signing time (integrated time or timestamp) */
  signedAt?: Date;
}

/** Refuses a keyless policy cosign would refuse, and regexps that do not compile. */
export function checkIdentityPolicy(p: IdentityPolicy): void {
  if (p.identity === undefined && p.identityRegexp === undefined) {
    throw new VouchError('INVALID_ARGUMENT', '--certificate-identity or --certificate-identity-regexp is required for verification in keyless mode');
  }
  if (p.issuer === undefined && p.issuerRegexp === undefined) {
    throw new VouchError('INVALID_ARGUMENT', '--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for verification in keyless mode');
  }
  for (const [flag, re] of [['--certificate-identity-regexp', p.identityRegexp], ['--certificate-oidc-issuer-regexp', p.issuerRegexp]] as const) {
    if (re !== undefined) compileRegexp(flag, re);
  }
}

function compileRegexp(flag: string, source: string): RegExp {
  if (source.length > MAX_REGEXP_LENGTH) throw new VouchError('INVALID_ARGUMENT', `${flag} is over ${MAX_REGEXP_LENGTH} characters`);
  try {
    return new RegExp(source, 'u');
  } catch (err) {
    throw new VouchError('INVALID_ARGUMENT', `${flag} '${source}' is not a regular expression: ${(err as Error).message}`);
  }
}

const bundleError = (what: string, why: string, cause?: unknown): VouchError =>
  new VouchError('INVALID_SIGNATURE', `${what} is not a valid Sigstore bundle: ${why}`, cause === undefined ? {} : { cause });

/** The bundle versions this verifier knows, in both spellings (sigstore/protobuf-specs protos/sigstore_bundle.proto). */
const KNOWN_BUNDLE_MEDIA_TYPES = new Set([
  'application/vnd.dev.sigstore.bundle+json;version=0.1', 'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3', 'application/vnd.dev.sigstore.bundle.v0.3+json',
]);

/** The media type, counts and sizes, checked on the JSON before the protobuf decoder sees it. */
function checkBundleBounds(json: JsonValue, what: string): void {
  if (!isJsonObject(json)) throw bundleError(what, 'not a JSON object');
  // @sigstore/bundle takes any version; a bundle of a version nobody specified is refused, as sigstore-go does.
  if (typeof json.mediaType !== 'string' || !KNOWN_BUNDLE_MEDIA_TYPES.has(json.mediaType)) {
    throw bundleError(what, `unknown or unsupported mediaType ${JSON.stringify(json.mediaType)} (known: bundle v0.1, v0.2, v0.3)`);
  }
  const vm = json.verificationMaterial;
  if (!isJsonObject(vm)) throw bundleError(what, 'no verificationMaterial');
  const tlog = vm.tlogEntries;
  if (tlog !== undefined && tlog !== null) {
    if (!Array.isArray(tlog)) throw bundleError(what, 'tlogEntries is not a list');
    if (tlog.length > MAX_TLOG_ENTRIES) throw new VouchError('TOO_LARGE', `${what} has ${tlog.length} transparency-log entries, over the limit of ${MAX_TLOG_ENTRIES}`);
    for (const e of tlog) {
      const hashes = isJsonObject(e) && isJsonObject(e.inclusionProof) ? e.inclusionProof.hashes : undefined;
      if (hashes !== undefined && (!Array.isArray(hashes) || hashes.length > MAX_PROOF_HASHES)) {
        throw new VouchError('TOO_LARGE', `${what} has an inclusion proof of ${Array.isArray(hashes) ? hashes.length : 'non-list'} hashes, over the limit of ${MAX_PROOF_HASHES}`);
      }
    }
  }
  const chain = isJsonObject(vm.x509CertificateChain) ? vm.x509CertificateChain.certificates : undefined;
  if (chain !== undefined && Array.isArray(chain) && chain.length > MAX_CHAIN_CERTIFICATES) {
    throw new VouchError('TOO_LARGE', `${what} has a certificate chain of ${chain.length} certificates, over the limit of ${MAX_CHAIN_CERTIFICATES}`);
  }
  const certs = [...(Array.isArray(chain) ? chain : []), ...(isJsonObject(vm.certificate) ? [vm.certificate] : [])];
  for (const c of certs) {
    const raw = isJsonObject(c) ? c.rawBytes : undefined;
    if (typeof raw === 'string' && raw.length > (MAX_CERTIFICATE_BYTES * 4) / 3 + 4) {
      throw new VouchError('TOO_LARGE', `${what} holds a certificate over ${MAX_CERTIFICATE_BYTES} bytes`);
    }
  }
  const ts = isJsonObject(vm.timestampVerificationData) ? vm.timestampVerificationData.rfc3161Timestamps : undefined;
  if (Array.isArray(ts) && ts.length > MAX_TIMESTAMPS) throw new VouchError('TOO_LARGE', `${what} has ${ts.length} RFC 3161 timestamps, over the limit of ${MAX_TIMESTAMPS}`);
}

/** A Sigstore bundle (v0.1 to v0.3, JSON) from bytes or parsed JSON; bounded, validated by @sigstore/bundle. */
export function parseSigstoreBundle(input: Uint8Array | JsonValue, what = 'the bundle'): Bundle {
  const json = input instanceof Uint8Array ? parseJson(input, { maxBytes: MAX_BUNDLE_BYTES, what }) : input;
  checkBundleBounds(json, what);
  try {
    return bundleFromJSON(json);
  } catch (err) {
    const fields = (err as { fields?: unknown }).fields;
    throw bundleError(what, `${(err as Error).message}${Array.isArray(fields) ? ` (${fields.join(', ')})` : ''}`, err);
  }
}

/** True when the JSON looks like a Sigstore protobuf bundle rather than cosign's older blob bundle. */
export function isSigstoreBundleJson(json: JsonValue): boolean {
  return isJsonObject(json) && typeof json.mediaType === 'string' && json.mediaType.startsWith('application/vnd.dev.sigstore.bundle');
}

/**
 * cosign's Rekor bundle (`dev.sigstore.cosign/bundle`, `rekorBundle` of a blob bundle; sigstore/cosign
 * pkg/cosign/bundle/rekor.go): the SET and the entry it signs, as a v0.1 bundle's tlog entry.
 */
function rekorBundleEntry(rekor: JsonValue, what: string): JsonValue {
  const bad = (why: string): VouchError => new VouchError('INVALID_SIGNATURE', `the Rekor bundle of ${what} is malformed: ${why}`);
  if (!isJsonObject(rekor) || typeof rekor.SignedEntryTimestamp !== 'string' || !isJsonObject(rekor.Payload)) throw bad('no SignedEntryTimestamp or Payload');
  const set = rekor.SignedEntryTimestamp;
  const p = rekor.Payload;
  if (typeof p.body !== 'string' || typeof p.integratedTime !== 'number' || typeof p.logIndex !== 'number' || typeof p.logID !== 'string') {
    throw bad('Payload needs body, integratedTime, logIndex and logID');
  }
  if (!Number.isSafeInteger(p.integratedTime) || p.integratedTime < 0 || !Number.isSafeInteger(p.logIndex) || p.logIndex < 0) throw bad('integratedTime or logIndex is not a non-negative integer');
  if (!/^[0-9a-f]{64}$/.test(p.logID)) throw bad('logID is not a SHA-256 in hex');
  const body = parseJson(fromBase64(p.body, 'Rekor entry body'), { maxBytes: MAX_BUNDLE_BYTES, what: 'the Rekor entry body' });
  if (!isJsonObject(body) || typeof body.kind !== 'string' || typeof body.apiVersion !== 'string') throw bad('the entry body has no kind and apiVersion');
  return {
    logIndex: String(p.logIndex),
    logId: { keyId: toBase64(Buffer.from(p.logID, 'hex')) },
    kindVersion: { kind: body.kind, version: body.apiVersion },
    integratedTime: String(p.integratedTime),
    inclusionPromise: { signedEntryTimestamp: set },
    canonicalizedBody: p.body,
  };
}

/** cosign's older forms of one signature: a `.sig` layer's annotations, or a blob bundle file. */
export interface LegacySigstoreParts {
  signature: Uint8Array;
  /** the payload or blob the signature is over */
  payload: Uint8Array;
  /** PEM: the signing certificate (keyless) */
  certificate?: string;
  /** PEM: its chain up to the root */
  chain?: string;
  /** JSON of cosign's Rekor bundle (the SET and the entry) */
  rekorBundle?: string | JsonValue;
  /** JSON `{"SignedRFC3161Timestamp": base64}` */
  rfc3161Timestamp?: string | JsonValue;
}

/** The older form as a v0.1 Sigstore bundle (message signature; certificate chain; the SET as inclusion promise). */
export function legacyPartsToBundle(parts: LegacySigstoreParts, what: string): Bundle {
  const certs = [
    ...(parts.certificate !== undefined ? certificatesDer(parts.certificate, `the certificate of ${what}`) : []),
    ...(parts.chain !== undefined ? certificatesDer(parts.chain, `the certificate chain of ${what}`) : []),
  ];
  if (certs.length === 0) throw new VouchError('INVALID_CERTIFICATE', `${what} carries no certificate: it is not a keyless signature`, { hint: 'verify it with --key' });
  if (certs.length > MAX_CHAIN_CERTIFICATES) throw new VouchError('TOO_LARGE', `${what} has a certificate chain of ${certs.length} certificates, over the limit of ${MAX_CHAIN_CERTIFICATES}`);
  const asJson = (v: string | JsonValue, name: string): JsonValue => (typeof v === 'string' ? parseJson(v, { maxBytes: MAX_BUNDLE_BYTES, what: name }) : v);
  const tlogEntries = parts.rekorBundle === undefined ? [] : [rekorBundleEntry(asJson(parts.rekorBundle, `the Rekor bundle of ${what}`), what)];
  const rfc3161Timestamps: JsonValue[] = [];
  if (parts.rfc3161Timestamp !== undefined) {
    const ts = asJson(parts.rfc3161Timestamp, `the RFC 3161 timestamp of ${what}`);
    if (!isJsonObject(ts) || typeof ts.SignedRFC3161Timestamp !== 'string') throw new VouchError('INVALID_SIGNATURE', `the RFC 3161 timestamp of ${what} has no SignedRFC3161Timestamp`);
    rfc3161Timestamps.push({ signedTimestamp: ts.SignedRFC3161Timestamp });
  }
  return parseSigstoreBundle({
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    verificationMaterial: {
      x509CertificateChain: { certificates: certs.map((c) => ({ rawBytes: toBase64(c) })) },
      tlogEntries,
      ...(rfc3161Timestamps.length > 0 ? { timestampVerificationData: { rfc3161Timestamps } } : {}),
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: toBase64(createHash('sha256').update(parts.payload).digest()) },
      signature: toBase64(parts.signature),
    },
  }, what);
}

function certificatesDer(pem: string, what: string): Buffer[] {
  if (pem.length > MAX_CHAIN_CERTIFICATES * MAX_CERTIFICATE_BYTES * 2) throw new VouchError('TOO_LARGE', `${what} is over ${MAX_CHAIN_CERTIFICATES * MAX_CERTIFICATE_BYTES * 2} bytes`);
  return parseCertificateBundle(pem).map((c) => c.raw);
}

/** What vouches for the signer: a public key (cosign --key), or a trusted root and an identity policy (keyless). */
export type SigstoreTrust =
  | { kind: 'key'; key: KeyObject; trustedRoot?: LoadedTrustedRoot }
  | { kind: 'keyless'; trustedRoot: LoadedTrustedRoot; policy: IdentityPolicy };

export interface SigstoreVerifyOptions {
  now: Date;
  /** --insecure-ignore-tlog: transparency-log entries are neither required nor used (nor their times) */
  ignoreTlog?: boolean;
}

const EMPTY_ROOT = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });

/**
 * Verifies one Sigstore bundle over `artifact` (message signatures; DSSE bundles carry their
 * payload): the signature, the key or certificate chain at the verified signing time, SCTs, the
 * transparency-log entries (unless ignored), then the identity policy. Throws a VouchError saying
 * which check failed. For a DSSE bundle the envelope's signature is what verifies: that its
 * in-toto subject names the artifact is the caller's check.
 */
export function verifySigstoreBundle(bundle: Bundle, artifact: Uint8Array | undefined, trust: SigstoreTrust, opts: SigstoreVerifyOptions): SigstoreVerified {
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, artifact === undefined ? undefined : Buffer.from(artifact));
  } catch (err) {
    throw bundleError('the bundle', (err as Error).message, err);
  }
  if (opts.ignoreTlog === true) {
    // a key without a trusted root has no timestamp authority to check a timestamp against, nor needs a time
    const keepTimestamps = trust.kind === 'keyless' || trust.trustedRoot !== undefined;
    entity = { ...entity, tlogEntries: [], timestamps: keepTimestamps ? entity.timestamps.filter((t) => t.$case === 'timestamp-authority') : [] };
  }
  const isCertificate = entity.key.$case === 'certificate';
  if (trust.kind === 'keyless' && !isCertificate) {
    throw new VouchError('INVALID_SIGNATURE', 'the bundle is signed with a key, not a certificate', { hint: 'verify it with --key' });
  }
  if (trust.kind === 'key' && isCertificate) {
    throw new VouchError('INVALID_SIGNATURE', 'the bundle is signed with a certificate, not a key', { hint: 'verify it with --certificate-identity, --certificate-oidc-issuer and --trusted-root' });
  }
  if (entity.timestamps.length > MAX_TIMESTAMPS) throw new VouchError('TOO_LARGE', `the bundle has ${entity.timestamps.length} timestamps, over the limit of ${MAX_TIMESTAMPS}`);
  const timeEvidence = entity.timestamps.filter((t) => t.$case === 'timestamp-authority' || t.tlogEntry.inclusionPromise !== undefined).length;
  if (entity.key.$case === 'certificate' && timeEvidence === 0) {
    // Fulcio certificates live ten minutes: without a verified time of signing, only `now` is left,
    // and a certificate that is not valid now proves nothing (cosign's own rule).
    const cert = entity.key.certificate;
    const valid = cert.validForDate(opts.now);
    throw new VouchError('INVALID_CERTIFICATE', valid
      ? 'the certificate is valid now, but no transparency-log entry or RFC 3161 timestamp proves when it signed; vouch does not accept keyless signatures without one'
      : `the certificate was valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}, and no transparency-log entry or RFC 3161 timestamp proves it signed in that window`, {
      hint: opts.ignoreTlog === true ? 'drop --insecure-ignore-tlog so the Rekor entry\'s integrated time counts, or sign with a timestamp authority' : 'sign with a Rekor upload or a timestamp authority',
    });
  }
  const material: TrustMaterial = trust.kind === 'key'
    ? { ...(trust.trustedRoot?.material ?? toTrustMaterial(EMPTY_ROOT)), publicKey: () => ({ publicKey: trust.key, validFor: () => true }) }
    : trust.trustedRoot.material;
  const verifier = new Verifier(material, {
    tlogThreshold: opts.ignoreTlog === true ? 0 : 1,
    ctlogThreshold: isCertificate ? 1 : 0,
    timestampThreshold: isCertificate ? 1 : 0,
  });
  try {
    verifier.verify(entity);
  } catch (err) {
    throw fromLibraryError(err);
  }
  const times = entity.timestamps.map((t) => (t.$case === 'timestamp-authority' ? t.timestamp.signingTime : t.tlogEntry.inclusionPromise ? new Date(Number(t.tlogEntry.integratedTime) * 1000) : undefined)).filter((d): d is Date => d !== undefined);
  const signedAt = times.length > 0 ? new Date(Math.min(...times.map((d) => d.getTime()))) : undefined;
  const result: SigstoreVerified = {
    kind: isCertificate ? 'certificate' : 'key',
    tlogEntries: entity.tlogEntries.length,
    rfc3161Timestamps: entity.timestamps.filter((t) => t.$case === 'timestamp-authority').length,
    ...(signedAt ? { signedAt } : {}),
  };
  if (entity.key.$case === 'certificate') {
    result.identity = certificateIdentity(entity.key.certificate);
    if (trust.kind === 'keyless') checkIdentity(result.identity, trust.policy);
  }
  return result;
}

/** One of the library's verification errors as a VouchError that names the failed check. */
function fromLibraryError(err: unknown): VouchError {
  const code = (err as { code?: unknown }).code;
  const message = (err as Error).message;
  if (typeof code !== 'string') return new VouchError('INVALID_SIGNATURE', `the Sigstore bundle did not verify: ${message}`, { cause: err });
  if (code.startsWith('TLOG')) {
    return new VouchError('INVALID_SIGNATURE', `the transparency-log entry did not verify (${code}): ${message}`, { cause: err, hint: 'the entry, its SET or its inclusion proof does not match the trusted root\'s Rekor keys, or was altered' });
  }
  if (code === 'CERTIFICATE_ERROR' || code === 'TIMESTAMP_ERROR') {
    return new VouchError('INVALID_CERTIFICATE', `the signing certificate did not verify (${code}): ${message}`, { cause: err, hint: 'the certificate must chain to a Fulcio CA of the trusted root, be valid at the logged or timestamped signing time, and carry an SCT from one of its CT logs' });
  }
  return new VouchError('INVALID_SIGNATURE', `the signature did not verify (${code}): ${message}`, { cause: err });
}

/** The leaf's subject, OIDC issuer and GitHub workflow claims, read from the library's parsed certificate. */
export function certificateIdentity(cert: SigstoreCertificate): NonNullable<SigstoreVerified['identity']> {
  const github: Partial<Record<GithubWorkflowClaim, string>> = {};
  for (const [claim, oid] of Object.entries(GITHUB_WORKFLOW_OIDS) as [GithubWorkflowClaim, string][]) {
    // The v1 extensions hold the raw string as the extension value (sigstore/fulcio docs/oid-info.md).
    const ext = cert.extension(oid);
    if (ext !== undefined) github[claim] = ext.value.toString('utf8');
  }
  let issuer: string | undefined;
  const v2 = cert.extension('1.3.6.1.4.1.57264.1.8');
  if (v2 !== undefined) issuer = v2.valueObj.subs[0]?.value.toString('utf8');
  else issuer = cert.extension('1.3.6.1.4.1.57264.1.1')?.value.toString('utf8');
  return { subject: cert.subjectAltName, issuer, github };
}

/** cosign's CheckCertificatePolicy: exact values, or Go-style unanchored regexps, and each given GitHub claim. */
export function checkIdentity(id: NonNullable<SigstoreVerified['identity']>, p: IdentityPolicy): void {
  const fail = (what: string, want: string, got: string | undefined): never => {
    throw new VouchError('IDENTITY_MISMATCH', `the certificate's ${what} is ${got === undefined ? 'absent' : `'${got}'`}, not ${want}`);
  };
  if (p.identity !== undefined && id.subject !== p.identity) fail('identity (subject alternative name)', `'${p.identity}'`, id.subject);
  if (p.identityRegexp !== undefined && (id.subject === undefined || !compileRegexp('--certificate-identity-regexp', p.identityRegexp).test(id.subject))) {
    fail('identity (subject alternative name)', `a match of /${p.identityRegexp}/`, id.subject);
  }
  if (p.issuer !== undefined && id.issuer !== p.issuer) fail('OIDC issuer', `'${p.issuer}'`, id.issuer);
  if (p.issuerRegexp !== undefined && (id.issuer === undefined || !compileRegexp('--certificate-oidc-issuer-regexp', p.issuerRegexp).test(id.issuer))) {
    fail('OIDC issuer', `a match of /${p.issuerRegexp}/`, id.issuer);
  }
  for (const [claim, want] of Object.entries(p.github ?? {}) as [GithubWorkflowClaim, string | undefined][]) {
    if (want !== undefined && id.github[claim] !== want) fail(`GitHub workflow ${claim} (${GITHUB_WORKFLOW_OIDS[claim]})`, `'${want}'`, id.github[claim]);
  }
}

/**
 * One `.sig` layer verified keyless (or with a key and its Rekor evidence): its certificate,
 * chain, Rekor bundle and RFC 3161 annotations as a v0.1 bundle over the payload, then the
 * simple-signing claims. A verdict, never a throw for a bad signature: the caller tries every layer.
 */
export function verifyLegacyLayer(opts: {
  layer: LegacySignatureLayer; payload: Uint8Array; digest: string; annotations?: Record<string, string>;
  trust: SigstoreTrust; now: Date; ignoreTlog?: boolean;
}): CosignVerdict {
  const checks: CosignVerdict['checks'] = { signature: 'failed', claims: 'skipped', tlog: opts.ignoreTlog === true ? 'skipped' : 'failed' };
  let verified: SigstoreVerified;
  try {
    const bundle = legacyPartsToBundle({
      signature: opts.layer.signature, payload: opts.payload,
      ...(opts.layer.certificate !== undefined ? { certificate: opts.layer.certificate } : {}),
      ...(opts.layer.chain !== undefined ? { chain: opts.layer.chain } : {}),
      ...(opts.layer.bundle !== undefined ? { rekorBundle: opts.layer.bundle } : {}),
      ...(opts.layer.rfc3161Timestamp !== undefined ? { rfc3161Timestamp: opts.layer.rfc3161Timestamp } : {}),
    }, `signature layer ${opts.layer.payload.digest}`);
    verified = verifySigstoreBundle(bundle, opts.payload, opts.trust, { now: opts.now, ...(opts.ignoreTlog !== undefined ? { ignoreTlog: opts.ignoreTlog } : {}) });
  } catch (err) {
    if (!isVouchError(err)) throw err;
    return { verified: false, checks, reason: err.message };
  }
  checks.signature = 'passed';
  if (opts.ignoreTlog !== true) checks.tlog = 'passed';
  const verdict = checkClaims(checks, opts.payload, opts.digest, opts.annotations);
  const signer = signerOf(verified);
  if (signer !== undefined) verdict.signer = signer;
  return verdict;
}

/** A verified certificate's identity as a verdict names the signer (undefined for a key). */
function signerOf(verified: SigstoreVerified): CosignVerdict['signer'] {
  if (verified.identity === undefined) return undefined;
  return {
    ...(verified.identity.subject !== undefined ? { subject: verified.identity.subject } : {}),
    ...(verified.identity.issuer !== undefined ? { issuer: verified.identity.issuer } : {}),
    github: verified.identity.github,
    ...(verified.signedAt ? { signedAt: verified.signedAt } : {}),
  };
}

/**
 * `verifySigstore` as the bundle module's plug-in point (bundle.ts verifyImageBundle): an image's
 * bundles checked against the trust (keyless: trusted root and identity policy). For a DSSE bundle
 * this checks the envelope's signature; verifyImageBundle then checks that the in-toto subject
 * names the image digest.
 */
export function sigstoreBundleVerifier(trust: SigstoreTrust, opts: SigstoreVerifyOptions): BundleSignatureVerifier {
  return (bundle, artifact) => {
    const signer = signerOf(verifySigstore({ kind: 'bundle', bundle, ...(artifact !== undefined ? { artifact } : {}) }, trust, opts));
    if (signer === undefined) return { description: 'the specified public key' };
    return { description: `the certificate of ${signer.subject ?? 'an unnamed subject'} (issuer ${signer.issuer ?? 'unknown'})`, signer };
  };
}

/** What one Sigstore signature comes as: a bundle (bytes, JSON, or parsed) over an artifact, or cosign's older parts. */
export type SigstoreMaterial =
  | { kind: 'bundle'; bundle: Bundle | Uint8Array | JsonValue; artifact?: Uint8Array }
  | { kind: 'legacy'; parts: LegacySigstoreParts; what?: string };

/**
 * The one entry for key-based and keyless Sigstore verification: material in any of its forms, the
 * key or trusted root and identity policy, the time. Returns what verified, or throws a VouchError.
 */
export function verifySigstore(material: SigstoreMaterial, trust: SigstoreTrust, opts: SigstoreVerifyOptions): SigstoreVerified {
  if (material.kind === 'legacy') {
    return verifySigstoreBundle(legacyPartsToBundle(material.parts, material.what ?? 'the signature'), material.parts.payload, trust, opts);
  }
  const b = material.bundle;
  const parsed = isParsedBundle(b) ? b : parseSigstoreBundle(b as Uint8Array | JsonValue);
  return verifySigstoreBundle(parsed, material.artifact, trust, opts);
}

function isParsedBundle(b: Bundle | Uint8Array | JsonValue): b is Bundle {
  if (b instanceof Uint8Array || typeof b !== 'object' || b === null || Array.isArray(b)) return false;
  const content = (b as { content?: { $case?: unknown } }).content;
  return typeof content === 'object' && content !== null && typeof content.$case === 'string';
}
