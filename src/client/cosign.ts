// cosign signatures in a registry: the legacy format (the `sha256-<hex>.sig`/`.att` tags;
// sigstore/cosign pkg/cosign/fetch.go and pkg/oci/mutate), where signing appends a layer to that
// manifest (read, modify, write, then read again to see that the write was not lost to a concurrent
// signer), and Sigstore bundles as OCI referrers (cosign v3). Verification tries every layer and
// bundle (bounded) with the public key, or keyless against a trusted root. `$COSIGN_REPOSITORY`
// moves signatures to another repository, as in cosign. Formats and checks are the pure `sig` module's.
import type { KeyObject } from 'node:crypto';
import { KeyedMutex, VouchError, digestOf, isVouchError } from '../core/index.js';
import type { ImageReference } from '../oci/reference.js';
import { OCI_MANIFEST } from '../oci/mediatypes.js';
// the cosign formats alone, not sig/index.js: that would load Notation's X.509, CMS and CBOR code into every cosign command (bench/cosign)
import * as cosign from '../sig/cosign/index.js';
import type * as keyless from '../sig/cosign/keyless.js';
import { resolveDigest, signatureLocation, type SignatureLocation } from './cosign-location.js';
import type { Session } from './session.js';

export { resolveDigest, signatureLocation, type SignatureLocation } from './cosign-location.js';

async function readSignatureManifest(at: SignatureLocation, tag: string): Promise<Buffer | undefined> {
  try {
    return (await at.client.getManifest(at.repository, tag)).bytes;
  } catch (err) {
    if (isVouchError(err, 'REGISTRY_NOT_FOUND')) return undefined;
    throw err;
  }
}

/** How often a signer re-reads and re-writes the `.sig` manifest when another signer's write crossed its own. */
const MAX_WRITE_ATTEMPTS = 5;
/**
 * Signers in this process take turns per `.sig` tag (a migration or an admission controller signs
 * many images at once). Across processes the registry offers no compare-and-swap: the read-back
 * below catches a write that replaced ours before we looked, not one that lands after.
 */
const tagTurns = new KeyedMutex(60_000, (key) => new VouchError('CONFLICT', `waited too long for another signer of ${key} in this process`, { hint: 'sign again' }));

export interface CosignSignResult { digest: string; signatureTag: string; repository: string; payload: Buffer }

/** Where a signature goes: the legacy `.sig`/`.att` tag, or a Sigstore bundle as an OCI 1.1 referrer (cosign v3's default). */
export type CosignFormat = 'legacy' | 'bundle';

/**
 * `cosign sign --key`: legacy, the simple-signing payload of the digest appended to the `.sig`
 * manifest; bundle, the statement `cosign sign` makes in v3 (https://sigstore.dev/cosign/sign/v1)
 * in a DSSE bundle, pushed as a referrer of the image.
 */
export async function signCosign(s: Session, image: ImageReference, key: KeyObject, opts: { annotations?: Record<string, string>; format?: CosignFormat; now?: Date } = {}): Promise<CosignSignResult> {
  const digest = await resolveDigest(s, image);
  const at = signatureLocation(s, image);
  if (opts.format === 'bundle') {
    const payload = cosign.signStatement(digest, opts.annotations);
    const pushed = await pushBundleReferrer(s, image, at, digest, cosign.dsseBundle(key, payload), cosign.COSIGN_SIGN_PREDICATE_TYPE, opts.now ?? new Date());
    return { digest, signatureTag: pushed, repository: `${at.registry}/${at.repository}`, payload };
  }
  const payload = cosign.simpleSigningPayload(`${image.registry}/${image.repository}`, digest, opts.annotations);
  const layer = cosign.signatureLayer(payload, cosign.signPayload(key, payload));
  const tag = cosign.signatureTag(digest);
  await appendLegacyLayer(at, tag, layer, payload);
  return { digest, signatureTag: tag, repository: `${at.registry}/${at.repository}`, payload };
}

/**
 * `cosign attest --key --predicate FILE --type T`: the in-toto statement in a DSSE envelope, as a
 * layer of the `.att` manifest (legacy; the signature annotation empty and the predicate type
 * annotated, as cosign v2 writes it) or in a DSSE bundle pushed as a referrer (cosign v3).
 */
export async function attestCosign(s: Session, image: ImageReference, key: KeyObject, opts: { type: string; predicate: Buffer; format?: CosignFormat; now?: Date }): Promise<CosignSignResult> {
  const digest = await resolveDigest(s, image);
  const at = signatureLocation(s, image);
  const now = opts.now ?? new Date();
  const predicateType = cosign.predicateTypeFor(opts.type);
  const payload = cosign.attestationStatement({ type: opts.type, predicate: opts.predicate, digest, repository: `${image.registry}/${image.repository}`, now });
  if (opts.format === 'bundle') {
    const pushed = await pushBundleReferrer(s, image, at, digest, cosign.dsseBundle(key, payload), predicateType, now);
    return { digest, signatureTag: pushed, repository: `${at.registry}/${at.repository}`, payload };
  }
  const envelope = cosign.legacyEnvelopeBytes(cosign.IN_TOTO_PAYLOAD_TYPE, payload, cosign.signEnvelopePayload(key, cosign.IN_TOTO_PAYLOAD_TYPE, payload));
  const layer: cosign.Descriptor = {
    mediaType: cosign.DSSE_ENVELOPE_MEDIA_TYPE, digest: digestOf(envelope), size: envelope.byteLength,
    annotations: { [cosign.SIGNATURE_ANNOTATION]: '', [cosign.PREDICATE_TYPE_ANNOTATION]: predicateType },
  };
  const tag = cosign.signatureTag(digest, 'att');
  await appendLegacyLayer(at, tag, layer, envelope);
  return { digest, signatureTag: tag, repository: `${at.registry}/${at.repository}`, payload };
}

/** Uploads a bundle and its referrer manifest (the referrers tag kept where the registry has no API); returns the manifest's digest. */
async function pushBundleReferrer(s: Session, image: ImageReference, at: SignatureLocation, digest: string, bundle: Buffer, predicateType: string, now: Date): Promise<string> {
  const subject = await s.registryFor(image.registry).getManifest(image.repository, digest);
  const built = cosign.bundleReferrerManifest({ subject: { mediaType: subject.mediaType, digest, size: subject.size }, bundle, predicateType, now });
  await at.client.pushBlob(at.repository, built.config, cosign.EMPTY_CONFIG);
  await at.client.pushBlob(at.repository, built.layer, bundle);
  return (await at.client.pushReferrer(at.repository, built.bytes, OCI_MANIFEST)).digest;
}

/**
 * Adds one layer to the legacy manifest under `tag` (read, modify, write, then read again to see
 * that the write was not lost to a concurrent signer).
 */
async function appendLegacyLayer(at: SignatureLocation, tag: string, layer: cosign.Descriptor, blob: Buffer): Promise<void> {
  await at.client.pushBlob(at.repository, layer, blob);
  const sameLayer = (l: cosign.Descriptor): boolean => l.digest === layer.digest && l.annotations?.[cosign.SIGNATURE_ANNOTATION] === layer.annotations?.[cosign.SIGNATURE_ANNOTATION];
  return tagTurns.run(`${at.registry}/${at.repository}:${tag}`, async () => {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await readSignatureManifest(at, tag);
      const built = cosign.buildLegacySignatureManifest(current === undefined ? [] : existingLayers(current), layer);
      await at.client.pushBlob(at.repository, built.config.descriptor, built.config.bytes);
      await at.client.putManifest(at.repository, tag, built.bytes, OCI_MANIFEST);
      // Read back, and write again if another signer's manifest replaced ours in between (its
      // layers are kept, ours is added again).
      const after = await readSignatureManifest(at, tag);
      if (after !== undefined && existingLayers(after).some(sameLayer)) return;
    }
    throw new VouchError('CONFLICT', `${at.registry}/${at.repository}:${tag} kept changing under concurrent signers; the signature was not kept`, { hint: 'sign again' });
  });
}

/** Every layer of a `.sig` manifest as it is, foreign ones included, so a rewrite keeps them. */
function existingLayers(manifest: Buffer): cosign.Descriptor[] {
  const { layers, foreign } = cosign.parseLegacySignatureManifest(manifest);
  return [...layers.map((l) => l.payload), ...foreign];
}

export interface CosignSignatureOutcome {
  /** the payload layer's digest (legacy) or the referrer manifest's (bundle) */
  layer: string;
  format: CosignFormat;
  verdict: {
    verified: boolean;
    /** which checks ran (a blob that could not be read skips them all); absent where no signature was read */
    checks?: Partial<Record<'signature' | 'claims' | 'tlog', 'passed' | 'failed' | 'skipped'>>;
    reason?: string;
    /** a keyless signer's certificate identity */
    signer?: cosign.CosignVerdict['signer'];
  };
}

export interface CosignVerifyResult {
  reference: string;
  digest: string;
  signatureTag: string;
  /** the payloads that verified, as cosign prints them on stdout */
  verified: Buffer[];
  outcomes: CosignSignatureOutcome[];
}

/**
 * Who may have signed: a public key (`cosign verify --key --insecure-ignore-tlog`), or keyless: a
 * trusted root and an identity policy, checked on a `.sig` layer's certificate and Rekor
 * annotations and on a bundle's verification material (sig/cosign/keyless.ts verifySigstore).
 */
export type CosignVerifier = KeyObject | { trust: keyless.SigstoreTrust; now: Date; ignoreTlog?: boolean };

/**
 * Which formats a verification reads (both by default; `--new-bundle-format=false` reads the legacy
 * tag only).
 */
export interface CosignReadOptions { annotations?: Record<string, string>; formats?: readonly CosignFormat[] }

const skipped = (reason: string): CosignSignatureOutcome['verdict'] => ({ verified: false, checks: { signature: 'skipped', claims: 'skipped' }, reason });

/**
 * How a bundle's signature is checked: with the key (publicKeyBundleVerifier), or keyless through
 * keyless.ts's verifySigstore (loaded on first use: @sigstore/verify's keyless half is for keyless only).
 */
async function bundleVerifierFor(verifier: CosignVerifier): Promise<cosign.BundleSignatureVerifier> {
  if (!('trust' in verifier)) return cosign.publicKeyBundleVerifier(verifier);
  const { sigstoreBundleVerifier } = await import('../sig/cosign/keyless.js');
  return sigstoreBundleVerifier(verifier.trust, { now: verifier.now, ...(verifier.ignoreTlog !== undefined ? { ignoreTlog: verifier.ignoreTlog } : {}) });
}

/**
 * `cosign verify`: every legacy signature layer of the digest and every bundle referrer (each at
 * most the format's bound) is checked with the key or keyless; the image verifies when one does.
 * Bundles must hold cosign's signature statement (or a message signature over the manifest): an
 * attestation is not taken for a signature.
 */
export async function verifyCosign(s: Session, image: ImageReference, verifier: CosignVerifier, opts: CosignReadOptions = {}): Promise<CosignVerifyResult> {
  const { digest, manifest } = await resolveImage(s, image);
  const at = signatureLocation(s, image);
  const tag = cosign.signatureTag(digest);
  const result: CosignVerifyResult = { reference: `${image.registry}/${image.repository}`, digest, signatureTag: tag, verified: [], outcomes: [] };
  const formats = opts.formats ?? ['legacy', 'bundle'];
  if (formats.includes('legacy')) {
    const sigManifest = await readSignatureManifest(at, tag);
    const layers = sigManifest === undefined ? [] : cosign.parseLegacySignatureManifest(sigManifest).layers;
    for (const layer of layers) {
      const payload = await readLayerBlob(at, layer.payload, cosign.MAX_PAYLOAD_BYTES, result);
      if (payload === undefined) continue;
      const annotations = opts.annotations ? { annotations: opts.annotations } : {};
      const verdict = 'trust' in verifier
        // loaded on first use: @sigstore/* is for keyless verification only
        ? (await import('../sig/cosign/keyless.js')).verifyLegacyLayer({ layer, payload, digest, ...annotations, trust: verifier.trust, now: verifier.now, ...(verifier.ignoreTlog !== undefined ? { ignoreTlog: verifier.ignoreTlog } : {}) })
        : cosign.verifyLegacySignature({ layer, payload, key: verifier, digest, ...annotations });
      result.outcomes.push({ layer: layer.payload.digest, format: 'legacy', verdict });
      if (verdict.verified) result.verified.push(payload);
    }
  }
  if (formats.includes('bundle')) {
    const bundleVerifier = await bundleVerifierFor(verifier);
    await forEachBundle(at, digest, manifest, result, (bundle, referrer, manifest) => {
      const verdict = cosign.verifyImageBundle({ bundle, digest, manifest, verifier: bundleVerifier, purpose: 'signature', ...(opts.annotations ? { annotations: opts.annotations } : {}) });
      result.outcomes.push({ layer: referrer, format: 'bundle', verdict });
      if (verdict.verified) result.verified.push(cosign.bundleVerifyOutput(referenceName(image), digest, verdict));
    });
  }
  return result;
}

export interface CosignAttestationResult extends CosignVerifyResult {
  /** predicate types of the attestations that verified but were not of the asked type */
  otherPredicateTypes: string[];
}

/**
 * `cosign verify-attestation --key --insecure-ignore-tlog [--type T]`: DSSE envelopes of the
 * `.att` manifest and DSSE bundles among the referrers, each checked with the key, then its
 * statement against the digest; those of predicate type T (cosign's default: custom) are kept.
 * `verified` holds the envelopes, as cosign prints them.
 */
export async function verifyCosignAttestations(s: Session, image: ImageReference, verifier: CosignVerifier, opts: CosignReadOptions & { type?: string } = {}): Promise<CosignAttestationResult> {
  const { digest, manifest } = await resolveImage(s, image);
  const at = signatureLocation(s, image);
  const tag = cosign.signatureTag(digest, 'att');
  const wantType = cosign.predicateTypeFor(opts.type ?? 'custom');
  const result: CosignAttestationResult = { reference: `${image.registry}/${image.repository}`, digest, signatureTag: tag, verified: [], outcomes: [], otherPredicateTypes: [] };
  const keep = (layer: string, format: CosignFormat, envelopeJson: Buffer, statement: cosign.InTotoStatement): void => {
    if (statement.predicateType !== wantType) {
      result.otherPredicateTypes.push(statement.predicateType);
      result.outcomes.push({ layer, format, verdict: { verified: false, reason: `predicate type ${statement.predicateType}, not ${wantType}` } });
      return;
    }
    result.outcomes.push({ layer, format, verdict: { verified: true } });
    result.verified.push(envelopeJson);
  };
  const formats = opts.formats ?? ['legacy', 'bundle'];
  if (formats.includes('legacy')) {
    const attManifest = await readSignatureManifest(at, tag);
    const layers = attManifest === undefined ? [] : cosign.parseLegacySignatureManifest(attManifest).foreign.filter((l) => l.mediaType === cosign.DSSE_ENVELOPE_MEDIA_TYPE);
    for (const layer of layers) {
      const bytes = await readLayerBlob(at, layer, cosign.MAX_ENVELOPE_BYTES, result);
      if (bytes === undefined) continue;
      const fail = (reason: string): void => { result.outcomes.push({ layer: layer.digest, format: 'legacy', verdict: { verified: false, reason } }); };
      let statement: cosign.InTotoStatement;
      try {
        const env = cosign.parseEnvelope(bytes, 'attestation envelope');
        // a keyless .att layer's certificate annotations are not read: keyless attestations verify as bundles
        if ('trust' in verifier) { fail('a legacy .att attestation verifies with --key only; keyless attestations verify as Sigstore bundles'); continue; }
        if (!cosign.envelopeSignedBy(env, verifier)) { fail('the attestation does not verify with the given public key'); continue; }
        if (env.payloadType !== cosign.IN_TOTO_PAYLOAD_TYPE) { fail(`unable to understand payload type ${env.payloadType}`); continue; }
        statement = cosign.parseStatement(env.payload);
      } catch (err) {
        if (!isVouchError(err)) throw err;
        fail(err.message);
        continue;
      }
      const why = cosign.statementClaimsFail(statement, digest, opts.annotations);
      if (why !== undefined) { fail(why); continue; }
      keep(layer.digest, 'legacy', bytes, statement);
    }
  }
  if (formats.includes('bundle')) {
    const bundleVerifier = await bundleVerifierFor(verifier);
    await forEachBundle(at, digest, manifest, result, (bundle, referrer, manifest) => {
      const verdict = cosign.verifyImageBundle({ bundle, digest, manifest, verifier: bundleVerifier, purpose: 'attestation', ...(opts.annotations ? { annotations: opts.annotations } : {}) });
      if (!verdict.verified || verdict.envelope === undefined || verdict.statement === undefined) {
        result.outcomes.push({ layer: referrer, format: 'bundle', verdict });
        return;
      }
      // cosign prints the bundle's envelope as Go marshals it: signatures without an empty keyid
      const e = verdict.envelope;
      const json = Buffer.from(JSON.stringify({ payload: e.payload.toString('base64'), payloadType: e.payloadType, signatures: e.signatures.map((x) => (x.keyid ? { sig: x.sig.toString('base64'), keyid: x.keyid } : { sig: x.sig.toString('base64') })) }));
      keep(referrer, 'bundle', json, verdict.statement);
    });
  }
  return result;
}

/** The reference as go-containerregistry names it (name.Reference.Name()): with its tag (latest when none) or digest. */
function referenceName(image: ImageReference): string {
  const repo = `${image.registry}/${image.repository}`;
  return image.digest !== undefined ? `${repo}@${image.digest}` : `${repo}:${image.tag ?? 'latest'}`;
}

/**
 * The image's digest, and its manifest bytes (hashed by the client) on first use: only a message
 * signature bundle needs them, so a digest reference costs no manifest read until one is found.
 */
async function resolveImage(s: Session, image: ImageReference): Promise<{ digest: string; manifest: () => Promise<Buffer> }> {
  const fetch = async (ref: string): Promise<{ digest: string; bytes: Buffer }> => {
    const m = await s.registryFor(image.registry).getManifest(image.repository, ref);
    if (image.digest !== undefined && m.digest !== image.digest) throw new VouchError('HASH_MISMATCH', `${image.registry}/${image.repository}@${image.digest} hashes to ${m.digest}`);
    return m;
  };
  if (image.digest === undefined) {
    const m = await fetch(image.tag ?? 'latest');
    return { digest: m.digest, manifest: () => Promise.resolve(m.bytes) };
  }
  const digest = image.digest;
  let bytes: Promise<Buffer> | undefined;
  return { digest, manifest: () => (bytes ??= fetch(digest).then((m) => m.bytes)) };
}

/** A legacy layer's blob, bounded and hashed; a refusal is recorded as the layer's outcome. */
async function readLayerBlob(at: SignatureLocation, layer: cosign.Descriptor, max: number, result: CosignVerifyResult): Promise<Buffer | undefined> {
  if (layer.size > max) {
    result.outcomes.push({ layer: layer.digest, format: 'legacy', verdict: skipped(`the layer is ${layer.size} bytes, over the limit of ${max}`) });
    return undefined;
  }
  let blob: Buffer;
  try {
    blob = await at.client.readBlob(at.repository, { digest: layer.digest, size: layer.size });
  } catch (err) {
    if (!isVouchError(err)) throw err;
    result.outcomes.push({ layer: layer.digest, format: 'legacy', verdict: skipped(err.message) });
    return undefined;
  }
  if (digestOf(blob) !== layer.digest) throw new VouchError('HASH_MISMATCH', `layer ${layer.digest} does not hash to its digest`);
  return blob;
}

/**
 * Each Sigstore bundle among the digest's referrers (the referrers API, or the referrers tag where
 * the registry has none), at most MAX_REFERRERS of them: referrers that are not bundles are passed
 * over, never trusted; a malformed one is recorded as a failed outcome.
 */
async function forEachBundle(at: SignatureLocation, digest: string, manifest: () => Promise<Buffer>, result: CosignVerifyResult, visit: (bundle: cosign.SigstoreBundle, referrer: string, manifest: Buffer) => void): Promise<void> {
  const referrers = await at.client.listReferrers(at.repository, digest, { limit: cosign.MAX_REFERRERS });
  for (const r of referrers) {
    if (r.artifactType !== undefined && !cosign.isBundleMediaType(r.artifactType)) continue;
    const fail = (reason: string): void => { result.outcomes.push({ layer: r.digest, format: 'bundle', verdict: skipped(reason) }); };
    if (r.size > cosign.MAX_REFERRER_MANIFEST_BYTES) { fail(`the referrer manifest is ${r.size} bytes, over the limit of ${cosign.MAX_REFERRER_MANIFEST_BYTES}`); continue; }
    let bundle: cosign.SigstoreBundle;
    try {
      const m = await at.client.getManifest(at.repository, r.digest);
      const layer = cosign.bundleLayerOf(m.bytes, digest);
      if (layer === undefined) continue;
      if (layer.size > cosign.MAX_BUNDLE_BYTES) { fail(`the bundle is ${layer.size} bytes, over the limit of ${cosign.MAX_BUNDLE_BYTES}`); continue; }
      const bytes = await at.client.readBlob(at.repository, { digest: layer.digest, size: layer.size });
      if (digestOf(bytes) !== layer.digest) { fail(`bundle ${layer.digest} does not hash to its digest`); continue; }
      bundle = cosign.parseBundle(bytes);
    } catch (err) {
      // one bad referrer (anyone who may push can add one) fails alone; the others are still checked
      if (!isVouchError(err)) throw err;
      fail(err.message);
      continue;
    }
    visit(bundle, r.digest, await manifest());
  }
}
