// Notation signatures end to end: where they live (a registry, through the referrers API or the
// `sha256-<hex>` tag fallback; or an OCI image layout, offline), signing (resolve, sign, push the
// signature manifest) and verification as notation-go's notation.Verify runs it (resolve, pick the
// trust policy statement, list the signatures, try each, up to --max-signatures, until one
// passes). Formats and verdicts are the pure `sig` module's.
import type { KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { VouchError, isJsonObject, isVouchError, parseDigest, parseJson, type ErrorCode } from '../core/index.js';
import type { RegistryClient } from '../oci/client.js';
import { signWithPlugin, type PluginSigningKey } from './notation-plugin.js';
import { OciLayout, OciLayoutWriter, blobPath } from '../oci/layout.js';
import { checkBytes } from '../oci/verify.js';
import { parseManifest, type Descriptor } from '../oci/manifest.js';
import { MAX_MANIFEST_BYTES, OCI_MANIFEST, isImageManifestType } from '../oci/mediatypes.js';
import {
  DEFAULT_MAX_SIGNATURES, MAX_ENVELOPE_BYTES, MAX_SIGNATURE_MANIFEST_BYTES, NOTATION_ARTIFACT_TYPE,
  OCI_ARTIFACT_MANIFEST, applicablePolicy, buildSignatureManifest, isNotationSignature, parseSignatureManifest, signEnvelope, verifyNotationSignature,
  type BuiltSignatureManifest, type NotationVerdict, type SignatureFormat, type SignedEnvelope, type SignatureManifest, type ResolvedPolicy, type SignatureManifestForm, type TargetArtifact,
  type TrustPolicyDocument, type TrustStoreContents, type TrustStoreType, type VerificationPluginHost, type Timestamper, type CrlFetcher, type OcspQuery,
} from '../sig/index.js';

/** Where an artifact and its signatures are: a registry repository or an OCI image layout. */
export interface SignatureStore {
  /** `host/repo` or the layout directory, for messages */
  readonly name: string;
  /** the form signature manifests are written in here */
  readonly manifestForm: SignatureManifestForm;
  resolve(ref: string): Promise<TargetArtifact>;
  /** descriptors of the manifests that claim to be Notation signatures of `subject`, at most `limit` */
  listSignatures(subject: TargetArtifact, limit: number): Promise<Descriptor[]>;
  readManifest(desc: Descriptor): Promise<Buffer>;
  readBlob(desc: Descriptor): Promise<Buffer>;
  pushSignature(built: BuiltSignatureManifest): Promise<void>;
}

/** A repository in a registry; signatures go through pushReferrer (referrers API or the tag fallback). */
export class RegistrySignatureStore implements SignatureStore {
  readonly manifestForm = 'artifact' as const;
  constructor(private readonly client: RegistryClient, private readonly repo: string) {}
  get name(): string { return `${this.client.registry}/${this.repo}`; }

  async resolve(ref: string): Promise<TargetArtifact> {
    const m = await this.client.getManifest(this.repo, ref);
    return { mediaType: m.mediaType, digest: m.digest, size: m.size };
  }

  async listSignatures(subject: TargetArtifact, limit: number): Promise<Descriptor[]> {
    return this.client.listReferrers(this.repo, subject.digest, { artifactType: NOTATION_ARTIFACT_TYPE, limit });
  }

  async readManifest(desc: Descriptor): Promise<Buffer> {
    // The 1.1-rc artifact manifest is a type the image code does not parse: its bytes are parsed as a signature manifest only.
    const bytes = desc.mediaType === OCI_ARTIFACT_MANIFEST
      ? (await this.client.getManifestBytes(this.repo, desc.digest, OCI_ARTIFACT_MANIFEST)).bytes
      : (await this.client.getManifest(this.repo, desc.digest)).bytes;
    if (bytes.byteLength !== desc.size) throw new VouchError('LENGTH_MISMATCH', `signature manifest ${desc.digest} is ${bytes.byteLength} bytes, listed as ${desc.size}`);
    return bytes;
  }

  async readBlob(desc: Descriptor): Promise<Buffer> {
    return this.client.readBlob(this.repo, { digest: desc.digest, size: desc.size });
  }

  async pushSignature(built: BuiltSignatureManifest): Promise<void> {
    await this.client.pushBlob(this.repo, built.config.descriptor, built.config.bytes);
    await this.client.pushBlob(this.repo, built.envelope.descriptor, built.envelope.bytes);
    await this.client.pushReferrer(this.repo, built.bytes, OCI_MANIFEST);
  }
}

/** At most this many index.json entries are read when looking for signatures in a layout. */
const MAX_LAYOUT_ENTRIES = 10_000;

/**
 * An OCI image layout. Signature manifests are untagged entries of index.json whose subject is the
 * artifact (as oras-go's oci.Store keeps them for notation); they are written in notation v1.x's
 * own form, the only one notation ≤ 1.3 finds in a layout (it matches on the config media type).
 */
export class LayoutSignatureStore implements SignatureStore {
  readonly manifestForm = 'image' as const;
  /** `name`: the layout as the user wrote it (notation prints that) */
  constructor(readonly dir: string, readonly name: string = dir) {}

  async resolve(ref: string): Promise<TargetArtifact> {
    const layout = await OciLayout.open(this.dir);
    let desc: Descriptor | undefined;
    if (ref.includes(':')) {
      parseDigest(ref);
      desc = layout.manifests.find((m) => m.digest === ref);
      if (desc === undefined) {
        // Not an index.json entry (e.g. a platform manifest of an index): its own bytes say its type.
        const path = blobPath(this.dir, ref);
        const size = await stat(path).then((st) => st.size, () => undefined);
        if (size === undefined) throw new VouchError('IMAGE_NOT_FOUND', `${ref}: not found in the OCI layout ${this.dir}`);
        if (size > MAX_MANIFEST_BYTES) throw new VouchError('TOO_LARGE', `manifest ${ref} is ${size} bytes, over the limit of ${MAX_MANIFEST_BYTES}`);
        const bytes = await readFile(path);
        checkBytes(bytes, { digest: ref }, `manifest ${ref} in ${this.dir}`);
        const m = parseManifest(bytes);
        return { mediaType: m.mediaType, digest: ref, size: bytes.byteLength };
      }
    } else {
      desc = layout.resolve(ref);
    }
    // The entry's size and type are claims: the manifest's own bytes must agree.
    const bytes = await layout.readManifest(desc);
    parseManifest(bytes, desc.mediaType);
    return { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
  }

  async listSignatures(subject: TargetArtifact, limit: number): Promise<Descriptor[]> {
    const layout = await OciLayout.open(this.dir);
    const out: Descriptor[] = [];
    for (const entry of layout.manifests.slice(0, MAX_LAYOUT_ENTRIES)) {
      if (out.length >= limit) break;
      if (entry.size > MAX_SIGNATURE_MANIFEST_BYTES || entry.digest === subject.digest) continue;
      if (entry.mediaType === OCI_ARTIFACT_MANIFEST) {
        // Listed by what it claims (artifactType, subject), as the referrers API lists it; read later, with every check.
        let v: unknown;
        try { v = parseJson(await layout.readManifest(entry), { what: 'an artifact manifest' }); } catch { continue; }
        if (isJsonObject(v) && v.artifactType === NOTATION_ARTIFACT_TYPE && isJsonObject(v.subject) && v.subject.digest === subject.digest) out.push(entry);
        continue;
      }
      if (!isImageManifestType(entry.mediaType)) continue;
      let m;
      try { m = parseManifest(await layout.readManifest(entry), entry.mediaType); } catch { continue; }
      if (m.kind !== 'manifest' || m.subject?.digest !== subject.digest) continue;
      if (!isNotationSignature({ ...(m.artifactType ? { artifactType: m.artifactType } : {}), config: m.config })) continue;
      out.push(entry);
    }
    return out;
  }

  async readManifest(desc: Descriptor): Promise<Buffer> {
    return (await OciLayout.open(this.dir)).readManifest(desc);
  }

  async readBlob(desc: Descriptor): Promise<Buffer> {
    const s = await (await OciLayout.open(this.dir)).openBlob({ digest: desc.digest, size: desc.size });
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async pushSignature(built: BuiltSignatureManifest): Promise<void> {
    const w = await OciLayoutWriter.open(this.dir);
    try {
      await w.writeBlob(built.config.descriptor, built.config.bytes);
      await w.writeBlob(built.envelope.descriptor, built.envelope.bytes);
      await w.writeBlob(built.descriptor, built.bytes);
      // As oras-go's oci.Store lists it: no artifactType (this form has none).
      const { artifactType: _artifactType, ...entry } = built.descriptor;
      w.addManifest(entry);
      await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
  }
}

export interface NotationSignOptions {
  store: SignatureStore;
  /** tag or digest */
  reference: string;
  /** a key and its chain, or a plugin key */
  key: { privateKey: KeyObject; chain: readonly Uint8Array[] } | { plugin: PluginSigningKey };
  now: Date;
  expiryMs?: number;
  userMetadata?: Record<string, string>;
  /** `--signature-format` (default jws, as notation) */
  format?: SignatureFormat;
  /** an RFC 3161 timestamp of the signature (client/tsa.ts) */
  timestamper?: Timestamper;
}

export interface NotationSignResult {
  subject: TargetArtifact;
  signature: Descriptor;
  /** `NAME@digest`, as notation prints it */
  reference: string;
}

/** `-m` keys must not use notation's reserved prefix (notation-go notation.go addUserMetadataToDescriptor). */
export function checkUserMetadataKeys(metadata: Record<string, string>): void {
  for (const k of Object.keys(metadata)) {
    if (k.startsWith('io.cncf.notary')) throw new VouchError('INVALID_ARGUMENT', `error adding user metadata: metadata key ${k} has reserved prefix io.cncf.notary`);
  }
}

/** The artifact a tag or digest names in `store`; by digest, what is served must be that digest. */
export async function resolveSubject(store: SignatureStore, reference: string): Promise<TargetArtifact> {
  const subject = await store.resolve(reference);
  if (reference.includes(':') && subject.digest !== reference) {
    throw new VouchError('HASH_MISMATCH', `user input digest ${reference} does not match the resolved digest ${subject.digest}`);
  }
  return subject;
}

/** `notation sign`: resolves the reference to a digest, signs that, pushes the signature. */
export async function signNotation(opts: NotationSignOptions): Promise<NotationSignResult> {
  checkUserMetadataKeys(opts.userMetadata ?? {});
  const subject = await resolveSubject(opts.store, opts.reference);
  const metadata = opts.userMetadata ?? {};
  const target: TargetArtifact = { ...subject, ...(Object.keys(metadata).length > 0 ? { annotations: metadata } : {}) };
  const times = { signingTime: opts.now, ...(opts.expiryMs !== undefined ? { expiry: new Date(opts.now.getTime() + opts.expiryMs) } : {}) };
  const stamp = opts.timestamper ? { timestamp: opts.timestamper } : {};
  const format = opts.format ?? 'jws';
  const signed: SignedEnvelope & { annotations?: Record<string, string> } = 'plugin' in opts.key
    ? await signWithPlugin(opts.key.plugin, format, { target, ...times, ...stamp })
    : await signEnvelope(format, { target, privateKey: opts.key.privateKey, chain: opts.key.chain, ...times, ...stamp });
  const built = buildSignatureManifest({
    subject, envelope: signed.envelope, envelopeMediaType: signed.mediaType, thumbprints: signed.thumbprints, created: signed.signingTime, form: opts.store.manifestForm,
    ...(signed.annotations ? { annotations: signed.annotations } : {}),
  });
  await opts.store.pushSignature(built);
  return { subject, signature: built.descriptor, reference: `${opts.store.name}@${subject.digest}` };
}

export interface NotationVerifyOptions {
  store: SignatureStore;
  reference: string;
  /** `host/repo` the trust policy's registryScopes are matched against */
  scope: string;
  policy: TrustPolicyDocument;
  readTrustStores: (stores: readonly { type: TrustStoreType; name: string }[]) => Promise<TrustStoreContents>;
  userMetadata?: Record<string, string>;
  maxSignatures?: number;
  now: Date;
  /** runs the verification plugins signatures name */
  plugins?: VerificationPluginHost;
  pluginConfig?: Record<string, string>;
  /** CRLs for the revocation checks (client/crl.ts) */
  fetchCrl?: CrlFetcher;
  /** OCSP for the revocation checks (client/ocsp.ts) */
  queryOcsp?: OcspQuery;
}

/** One signature tried: its verdict, or why it could not be read. */
export interface SignatureOutcome {
  digest: string;
  verdict?: NotationVerdict;
  error?: { code: ErrorCode; message: string };
}

export interface NotationVerifyResult {
  /** `NAME@digest` */
  reference: string;
  subject: TargetArtifact;
  policy: { name: string; level: ResolvedPolicy['level'] };
  verified: boolean;
  /** the policy skips verification for this scope */
  skipped: boolean;
  /** the verdict of the signature that passed */
  verdict?: NotationVerdict;
  signatures: SignatureOutcome[];
  /** why nothing verified */
  error?: string;
}

/**
 * A listed signature manifest and its envelope, with notation-go's checks (getSignatureBlobDesc,
 * FetchSignatureBlob): an OCI image manifest or a 1.1-rc artifact manifest, at most 4 MiB, one
 * envelope of at most 32 MiB.
 */
export async function readSignature(store: SignatureStore, desc: Descriptor): Promise<{ manifest: SignatureManifest; envelope: Buffer }> {
  if (desc.mediaType !== OCI_MANIFEST && desc.mediaType !== OCI_ARTIFACT_MANIFEST) {
    throw new VouchError('INVALID_SIGNATURE', `sigManifestDesc.MediaType requires "${OCI_ARTIFACT_MANIFEST}" or "${OCI_MANIFEST}", got "${desc.mediaType}"`);
  }
  if (desc.size > MAX_SIGNATURE_MANIFEST_BYTES) throw new VouchError('TOO_LARGE', `signature manifest too large: ${desc.size} bytes`);
  const manifest = parseSignatureManifest(await store.readManifest(desc), desc.mediaType);
  if (manifest.envelope.size > MAX_ENVELOPE_BYTES) throw new VouchError('TOO_LARGE', `signature blob too large: ${manifest.envelope.size} bytes`);
  return { manifest, envelope: await store.readBlob(manifest.envelope) };
}

/** `notation verify`: true when one signature passes every check the policy enforces. */
export async function verifyNotation(opts: NotationVerifyOptions): Promise<NotationVerifyResult> {
  const max = opts.maxSignatures ?? DEFAULT_MAX_SIGNATURES;
  if (!Number.isSafeInteger(max) || max <= 0) throw new VouchError('INVALID_ARGUMENT', `max-signatures value ${max} must be a positive number`);
  const subject = await resolveSubject(opts.store, opts.reference);
  const reference = `${opts.store.name}@${subject.digest}`;
  const policy = applicablePolicy(opts.policy, opts.scope);
  const base = { reference, subject, policy: { name: policy.name, level: policy.level } };
  if (policy.level === 'skip') return { ...base, verified: true, skipped: true, signatures: [] };
  const trustStores = await opts.readTrustStores(policy.trustStores);
  // One more than the limit: enough to tell that the limit was exceeded.
  const listed = await opts.store.listSignatures(subject, max + 1);
  if (listed.length === 0) {
    return { ...base, verified: false, skipped: false, signatures: [], error: `no signature is associated with "${opts.scope}@${subject.digest}", make sure the artifact was signed successfully` };
  }
  const signatures: SignatureOutcome[] = [];
  for (const desc of listed.slice(0, max)) {
    const outcome: SignatureOutcome = { digest: desc.digest };
    signatures.push(outcome);
    try {
      const { manifest, envelope } = await readSignature(opts.store, desc);
      outcome.verdict = await verifyNotationSignature({
        subject, envelope, envelopeMediaType: manifest.envelope.mediaType, policy, trustStores, now: opts.now,
        ...(opts.fetchCrl ? { fetchCrl: opts.fetchCrl } : {}), ...(opts.queryOcsp ? { queryOcsp: opts.queryOcsp } : {}),
        ...(opts.userMetadata ? { userMetadata: opts.userMetadata } : {}),
        ...(opts.plugins ? { plugins: opts.plugins } : {}), ...(opts.pluginConfig ? { pluginConfig: opts.pluginConfig } : {}),
      });
      if (outcome.verdict.verified) return { ...base, verified: true, skipped: false, verdict: outcome.verdict, signatures };
    } catch (err) {
      if (!isVouchError(err)) throw err;
      outcome.error = { code: err.code, message: err.message };
    }
  }
  const error = listed.length > max
    ? `signature evaluation stopped. The configured limit of ${max} signatures to verify per artifact exceeded`
    : `signature verification failed for all the signatures associated with ${reference}`;
  return { ...base, verified: false, skipped: false, signatures, error };
}
