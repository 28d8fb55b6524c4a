// `vouch status`: what will stop verifying, and when. For a repository's verified DCT trust data:
// the expiry of every role and root certificate, who has to renew it (the server renews the
// timestamp, and the snapshot when it holds that key; everything else needs its key holder), the
// keys, the signed tags per signer, and what breaks first. For the images' OCI signatures
// (Notation, and cosign's legacy `.sig` signatures: a `kind` on every signature, signer and item):
// each signature's signer, its certificate chain and its own expiry, and whether it still verifies
// structurally.
// `statusOf` and `withSignatures` are pure (time passed in).
import { isTag, isVouchError, type ErrorCode } from '../core/index.js';
import { REPO_ADMIN, certificateChain, certificateValidity, signedTagRows, type Metadata, type Root } from '../tuf/index.js';
import { gunOf, parseReference, type ImageReference } from '../oci/reference.js';
import { inspectSource } from './inspect.js';
import { safeCanonicalId } from './keyring.js';
import { RepoHandle } from './repo.js';
import type { Session } from './session.js';
import { RegistrySignatureStore } from './notation.js';
import { SIGNATURE_LIMITS, readImageSignatures, type ImageSignatures, type SignatureKind, type SignatureReading } from './signatures.js';
import { signatureLocation } from './cosign-location.js';
import type { VerifiedRepo } from './updater.js';
import type { TimestampFacts } from '../sig/index.js';

export type ExpiryState = 'ok' | 'expiring' | 'expired';
/** A repository's overall state; `unverified` when its trust data could not be read and verified now. */
export type RepoState = ExpiryState | 'unverified';

export interface ExpiryItem {
  /** `role` (signed metadata), `certificate` (a root key's, or one of a signature's chain), or `signature` (an OCI signature's own expiry) */
  kind: 'role' | 'certificate' | 'signature';
  /** role name, `root certificate <key ID>`, `notation leaf certificate "CN"`, `notation signature <digest> (tags)` */
  name: string;
  version?: number;
  /** ISO 8601; empty for a signature that does not verify (it has no expiry left to wait for) */
  expires: string;
  state: ExpiryState;
  /**
   * who renews it: the trust server does so by itself; the owner must re-sign (or rotate) before it
   * expires; the signer of an OCI signature must re-sign (with a renewed certificate)
   */
  renewedBy: 'server' | 'owner' | 'signer';
  /** why, for an item that could not be verified (an expired delegation is skipped by every client) */
  note?: string;
  /** OCI signature items: the signature's kind */
  signatureKind?: SignatureKind;
  /** signature items: the signature manifest's digest; certificate items of a signature: the certificate's SHA-256 thumbprint */
  id?: string;
}

/** A certificate of an OCI signature's chain. */
export interface SignatureCertificate {
  position: 'leaf' | 'intermediate' | 'root';
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** lowercase hex SHA-256 of the DER */
  thumbprint: string;
  state: ExpiryState;
}

/** One OCI signature of an image. */
export interface SignatureStatus {
  kind: SignatureKind;
  /** the signature manifest's digest */
  digest: string;
  /** the leaf certificate's subject */
  signer?: string;
  signingTime?: string;
  /** the signature's own expiry (Notation: io.cncf.notary.expiry), when it has one */
  expires?: string;
  /** leaf first */
  certificates: SignatureCertificate[];
  /** it verifies structurally: integrity (signature, chain rules, headers) and it signs this image; trust in the signer is not judged here */
  verifies: boolean;
  /** what could not be checked without a key or trusted root (a key-signed cosign signature: the signature itself) */
  unverified?: string;
  /** cosign: the certificates are checked at the time the signature carries (its transparency-log entry or timestamp), so their expiry does not break it */
  timeSource?: 'transparency log' | 'timestamp';
  /** why it does not verify */
  problem?: string;
  /**
   * its RFC 3161 timestamp (Notation), when it carries one: `time` and `authority` (the TSA's
   * subject) when it holds together and falls within its certificates' validity, else `problem`
   */
  timestamp?: { time?: string; authority?: string; problem?: string };
  /**
   * when it stops verifying: the earliest of its own expiry and its certificates' — a signature
   * whose timestamp holds outlives its certificates (verifiers check the timestamp once a
   * certificate has expired), so only its own expiry counts (absent: no end; and absent when it
   * does not verify)
   */
  validUntil?: string;
  /** a timestamped signature: when verifiers that do not check timestamps (no `tsa` trust store in their trust policy) stop accepting it */
  untimestampedUntil?: string;
  /** `expired` also for a signature that does not verify */
  state: ExpiryState;
}

/** The OCI signatures of one image of the repository. */
export interface ImageStatus {
  /** `registry/repository` */
  name: string;
  digest?: string;
  tags: string[];
  signatures: SignatureStatus[];
  /** more signatures are attached than were read (SIGNATURE_LIMITS) */
  more: boolean;
  /** the registry could not be read: inconclusive, and the repository is `unverified` */
  error?: { code: string; message: string };
}

export interface KeyInfo {
  role: string;
  keyId: string;
  keyType: string;
  /** certificate keys (the root's): when the certificate was issued (ISO 8601) */
  notBefore?: string;
}

export interface RepoStatus {
  repository: string;
  state: RepoState;
  /** every expiry, soonest first */
  items: ExpiryItem[];
  /** the owner-renewed item that expires first: what breaks first, and when */
  firstToBreak?: ExpiryItem;
  keys: KeyInfo[];
  /**
   * signed tags per signer and kind: `dct` is docker's view (`Repo Admin` for targets and
   * targets/releases); an OCI signature's signer is its leaf certificate's subject
   */
  signers: { kind: 'dct' | SignatureKind; name: string; tags: number }[];
  /** the OCI signatures of the images checked (DCT-signed digests, the named image, or the registry's tags) */
  images: ImageStatus[];
  /** images left unchecked by SIGNATURE_LIMITS */
  imagesNotChecked?: number;
  /** why the repository is `unverified` */
  error?: { code: ErrorCode; message: string };
}

const stateOf = (expires: Date, now: Date, horizonMs: number): ExpiryState =>
  expires.getTime() <= now.getTime() ? 'expired' : expires.getTime() - now.getTime() <= horizonMs ? 'expiring' : 'ok';

const worst = (states: readonly RepoState[]): RepoState =>
  (['unverified', 'expired', 'expiring'] as const).find((s) => states.includes(s)) ?? 'ok';

function rootCertificates(root: Metadata<Root>, now: Date, horizonMs: number): { items: ExpiryItem[]; keys: KeyInfo[] } {
  const items: ExpiryItem[] = [];
  const keys: KeyInfo[] = [];
  for (const id of root.signed.roles.root.keyids) {
    const key = root.signed.keys.get(id);
    if (key === undefined) continue;
    if (!key.keytype.endsWith('-x509')) { keys.push({ role: 'root', keyId: id, keyType: key.keytype }); continue; }
    const { notBefore, notAfter } = certificateValidity(certificateChain(key).leaf);
    keys.push({ role: 'root', keyId: id, keyType: key.keytype, notBefore: notBefore.toISOString() });
    items.push({ kind: 'certificate', name: `root certificate ${id.slice(0, 12)}`, expires: notAfter.toISOString(), state: stateOf(notAfter, now, horizonMs), renewedBy: 'owner' });
  }
  return { items, keys };
}

/**
 * The status of a verified repository at `now`. `serverSnapshotKeyId` is the canonical ID of the
 * server's snapshot key, when known: if root lists it, the server renews the snapshot.
 */
export function statusOf(repo: VerifiedRepo, now: Date, horizonMs: number, serverSnapshotKeyId?: string): RepoStatus {
  const root = repo.root.signed;
  const role = (name: string, md: { signed: { version: number; expires: Date } }, renewedBy: ExpiryItem['renewedBy']): ExpiryItem => ({
    kind: 'role', name, version: md.signed.version, expires: md.signed.expires.toISOString(), state: stateOf(md.signed.expires, now, horizonMs), renewedBy,
  });
  const snapshotByServer = serverSnapshotKeyId !== undefined
    && root.roles.snapshot.keyids.some((id) => safeCanonicalId(root.keys.get(id)) === serverSnapshotKeyId || id === serverSnapshotKeyId);
  const certs = rootCertificates(repo.root, now, horizonMs);
  const items: ExpiryItem[] = [
    role('root', repo.root, 'owner'),
    ...certs.items,
    role('targets', repo.targets, 'owner'),
    ...repo.trusted.loadedTargetsRoles.filter((r) => r !== 'targets').map((r) => {
      const md = repo.trusted.targetsRole(r)?.metadata;
      return md === undefined ? undefined : role(r, md, 'owner');
    }).filter((i): i is ExpiryItem => i !== undefined),
    // a delegation that failed verification is skipped by every client: its tags are gone
    ...repo.skipped.map((w): ExpiryItem => ({
      kind: 'role', name: w.role, expires: '', state: 'expired', renewedBy: 'owner', note: `${w.error.code}: ${w.error.message}`,
    })),
    role('snapshot', repo.snapshot, snapshotByServer ? 'server' : 'owner'),
    role('timestamp', repo.timestamp, 'server'),
  ];
  items.sort(byExpiry);

  const keys: KeyInfo[] = [...certs.keys];
  for (const r of ['targets', 'snapshot', 'timestamp'] as const) {
    for (const id of root.roles[r].keyids) keys.push({ role: r, keyId: id, keyType: root.keys.get(id)?.keytype ?? 'unknown' });
  }
  const src = inspectSource(repo);
  for (const d of src.delegations) for (const id of d.keyIds) keys.push({ role: d.name, keyId: id, keyType: 'delegation' });
  for (const k of keys) if (k.keyType === 'delegation') k.keyType = delegationKeyType(repo, k.role, k.keyId);

  const perSigner = new Map<string, number>();
  for (const row of signedTagRows(src.targets)) {
    for (const name of row.signers.length > 0 ? row.signers : [REPO_ADMIN]) perSigner.set(name, (perSigner.get(name) ?? 0) + 1);
  }
  return summarise({
    repository: repo.gun,
    state: 'ok',
    items,
    keys,
    signers: [...perSigner].map(([name, tags]) => ({ kind: 'dct' as const, name, tags })).sort((a, b) => a.name.localeCompare(b.name)),
    images: [],
  });
}

/** Soonest first; an item without an expiry (it does not verify) before all. */
const byExpiry = (a: ExpiryItem, b: ExpiryItem): number => (a.expires === '' ? -1 : b.expires === '' ? 1 : a.expires.localeCompare(b.expires));

/** The repository's state and what breaks first, from its items and images. */
function summarise(st: RepoStatus): RepoStatus {
  const owned = st.items.filter((i) => i.renewedBy !== 'server');
  const firstToBreak = owned.find((i) => i.state !== 'ok') ?? owned[0];
  const { firstToBreak: _old, ...rest } = st;
  return {
    ...rest,
    state: worst([...owned.map((i) => i.state), ...(st.images.some((i) => i.error !== undefined) ? ['unverified' as const] : [])]),
    ...(firstToBreak !== undefined ? { firstToBreak } : {}),
  };
}

/** `rsa signer` from `C=US, O=Vouch Test, CN=rsa signer`; the whole subject when it has no CN. */
function commonName(subject: string): string {
  return /(?:^|,\s*)CN=([^,]+)/.exec(subject)?.[1]?.trim() ?? subject;
}

const positionOf = (i: number, n: number): SignatureCertificate['position'] => (i === 0 ? 'leaf' : i === n - 1 ? 'root' : 'intermediate');

/** How an image is named in an item: its tags, else its digest's first 12 hex digits. */
const imageLabel = (img: ImageSignatures): string => (img.tags.length > 0 ? img.tags.join(', ') : (img.digest ?? '').replace(/^sha256:/, '').slice(0, 12));

/**
 * Adds the OCI signatures of the repository's images: each signature's state, one item for each
 * signature's own expiry (or its problem), one item for each distinct certificate (by thumbprint:
 * one root signs many chains), signed tags per signer. A registry that could not be read makes
 * the repository `unverified`.
 */
export function withSignatures(st: RepoStatus, images: readonly ImageSignatures[], now: Date, horizonMs: number, notChecked = 0): RepoStatus {
  const items = [...st.items];
  const certificates = new Map<string, ExpiryItem>();
  const perSigner = new Map<string, { kind: SignatureKind; name: string; tags: Set<string> }>();
  const out: ImageStatus[] = images.map((img) => {
    const signatures = img.signatures.map((sig): SignatureStatus => {
      const f = sig.facts;
      const certs = f.chain.map((c, i): SignatureCertificate => ({
        position: positionOf(i, f.chain.length), subject: c.subject, issuer: c.issuer, notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(), thumbprint: c.thumbprint, state: stateOf(c.notAfter, now, horizonMs),
      }));
      const verifies = f.problem === undefined;
      // A timestamp that holds carries the signature past its certificates' notAfter (notation-go verifyAuthenticTimestamp).
      const timestamped = f.timestamp !== undefined && f.timestamp.problem === undefined;
      // a certificate checked at the signature's own time (Notation with such a timestamp, cosign with a log entry or timestamp) does not expire for it
      const certificatesExpire = !timestamped && sig.timeSource === undefined;
      const earliest = (ds: readonly Date[]): Date | undefined => (ds.length > 0 ? new Date(Math.min(...ds.map((d) => d.getTime()))) : undefined);
      const certificatesEnd = earliest(f.chain.map((c) => c.notAfter));
      const validUntil = verifies ? earliest([...(f.expiry ? [f.expiry] : []), ...(certificatesExpire && certificatesEnd !== undefined ? [certificatesEnd] : [])]) : undefined;
      const label = `${sig.kind} signature ${sig.digest.replace(/^sha256:/, '').slice(0, 12)} (${imageLabel(img)})`;
      if (!verifies) {
        items.push({ kind: 'signature', name: label, expires: '', state: 'expired', renewedBy: 'signer', note: f.problem, signatureKind: sig.kind, id: sig.digest });
      } else {
        if (f.expiry) items.push({ kind: 'signature', name: label, expires: f.expiry.toISOString(), state: stateOf(f.expiry, now, horizonMs), renewedBy: 'signer', signatureKind: sig.kind, id: sig.digest });
        // the certificates of a timestamped signature no longer end it: they are items only through signatures without one
        for (const c of certificatesExpire ? certs : []) {
          if (certificates.has(c.thumbprint)) continue;
          certificates.set(c.thumbprint, {
            kind: 'certificate', name: `${sig.kind} ${c.position} certificate "${commonName(c.subject)}"`, expires: c.notAfter, state: c.state,
            renewedBy: 'signer', signatureKind: sig.kind, id: c.thumbprint,
          });
        }
        if (f.signer !== undefined) {
          const key = `${sig.kind}\n${f.signer}`;
          const entry = perSigner.get(key) ?? { kind: sig.kind, name: f.signer, tags: new Set<string>() };
          for (const t of img.tags.length > 0 ? img.tags : [img.digest ?? '']) entry.tags.add(t);
          perSigner.set(key, entry);
        }
      }
      return {
        kind: sig.kind, digest: sig.digest, ...(f.signer !== undefined ? { signer: f.signer } : {}),
        ...(f.signingTime ? { signingTime: f.signingTime.toISOString() } : {}), ...(f.expiry ? { expires: f.expiry.toISOString() } : {}),
        certificates: certs, verifies, ...(f.problem !== undefined ? { problem: f.problem } : {}),
        ...(f.timestamp !== undefined ? { timestamp: timestampOf(f.timestamp) } : {}),
        ...(sig.unverified !== undefined ? { unverified: sig.unverified } : {}), ...(sig.timeSource !== undefined ? { timeSource: sig.timeSource } : {}),
        ...(validUntil ? { validUntil: validUntil.toISOString() } : {}),
        ...(verifies && timestamped && certificatesEnd !== undefined ? { untimestampedUntil: certificatesEnd.toISOString() } : {}),
        state: validUntil === undefined ? (verifies ? 'ok' : 'expired') : stateOf(validUntil, now, horizonMs),
      };
    });
    return { name: img.name, ...(img.digest !== undefined ? { digest: img.digest } : {}), tags: [...img.tags], signatures, more: img.more, ...(img.error ? { error: img.error } : {}) };
  });
  items.push(...certificates.values());
  items.sort(byExpiry);
  const signers = [...st.signers, ...[...perSigner.values()].map((e) => ({ kind: e.kind, name: e.name, tags: e.tags.size })).sort((a, b) => a.name.localeCompare(b.name))];
  return summarise({ ...st, items, signers, images: [...st.images, ...out], ...(notChecked > 0 ? { imagesNotChecked: notChecked } : {}) });
}

const timestampOf = (t: TimestampFacts): NonNullable<SignatureStatus['timestamp']> => (t.problem !== undefined
  ? { ...(t.time ? { time: t.time.toISOString() } : {}), problem: t.problem }
  : { ...(t.time ? { time: t.time.toISOString() } : {}), ...(t.authority !== undefined ? { authority: t.authority } : {}) });

function delegationKeyType(repo: VerifiedRepo, role: string, canonicalId: string): string {
  for (const [id, key] of repo.targets.signed.delegations.keys) {
    if (id === canonicalId || safeCanonicalId(key) === canonicalId) return key.keytype;
  }
  return 'unknown';
}

export interface RepositoryStatusOptions {
  /** read the images' OCI signatures from the registry (default true; `--no-signatures`) */
  signatures?: boolean;
  /** DER roots of the trusted TSAs (notation's `tsa` trust stores): a timestamp counts only when it verifies against them */
  tsaRoots?: readonly Uint8Array[];
}

const emptyStatus = (repository: string): RepoStatus => ({ repository, state: 'ok', items: [], keys: [], signers: [], images: [] });
const unverifiedStatus = (repository: string, code: ErrorCode, message: string): RepoStatus =>
  ({ ...emptyStatus(repository), state: 'unverified', error: { code, message } });

/**
 * Reads the signatures of `images` (reference → tags), at most SIGNATURE_LIMITS.imagesPerRepository.
 * The first image the registry cannot serve stops the reading: the rest would fail the same way
 * (each after its own deadlines), and one inconclusive image already makes the repository unverified.
 */
async function readImages(store: RegistrySignatureStore, images: ReadonlyMap<string, string[]>, read: SignatureReading = {}): Promise<{ images: ImageSignatures[]; notChecked: number }> {
  const out: ImageSignatures[] = [];
  const chosen = [...images].slice(0, SIGNATURE_LIMITS.imagesPerRepository);
  let notChecked = images.size - chosen.length;
  for (const [i, [reference, tags]] of chosen.entries()) {
    const img = await readImageSignatures(store, reference, tags, SIGNATURE_LIMITS.signaturesPerImage, read);
    const same = img.digest === undefined ? undefined : out.find((o) => o.digest === img.digest);
    if (same !== undefined) same.tags.push(...img.tags);
    else out.push(img);
    if (img.error !== undefined) { notChecked += chosen.length - i - 1; break; }
  }
  return { images: out, notChecked };
}

/** The store of a repository's signatures: its registry, with config.json's credentials and the host's TLS material, as every registry read of vouch. */
const storeFor = (s: Session, ref: ImageReference): RegistrySignatureStore => new RegistrySignatureStore(s.registryFor(ref.registry), ref.repository);

/**
 * Reads, verifies and reports one repository, or one image (`ref` with a tag or digest: its OCI
 * signatures only); never an exception for what cannot be verified: that is `unverified`.
 * A repository's images are its DCT-signed digests; without DCT trust data, the first tags of
 * the registry's tags API (SIGNATURE_LIMITS).
 */
export async function repositoryStatus(s: Session, ref: ImageReference, horizonMs: number, opts: RepositoryStatusOptions = {}): Promise<RepoStatus> {
  const withSigs = opts.signatures !== false;
  if (ref.tag !== undefined || ref.digest !== undefined) {
    const { images } = await readImages(storeFor(s, ref), new Map([[ref.digest ?? ref.tag as string, ref.tag !== undefined ? [ref.tag] : []]]), { tsaRoots: opts.tsaRoots, cosignAt: signatureLocation(s, ref) });
    const st = withSignatures(emptyStatus(gunOf(ref)), images, s.now(), horizonMs);
    const img = st.images[0];
    if (img !== undefined && img.error === undefined && img.signatures.length === 0) {
      return { ...st, state: 'unverified', error: { code: 'NO_SIGNATURES', message: `${img.name}@${img.digest ?? ''} has no Notation or cosign signature` } };
    }
    return st;
  }
  const handle = new RepoHandle(s, ref);
  try {
    const repo = await handle.load();
    if (repo === undefined) {
      const missing = `${handle.gun} has no trust data on ${handle.remote.server}`;
      return withSigs ? await unsignedRepositoryStatus(s, ref, horizonMs, missing, opts.tsaRoots) : unverifiedStatus(handle.gun, 'REPOSITORY_NOT_FOUND', missing);
    }
    if (!repo.fresh) return unverifiedStatus(handle.gun, 'UNREACHABLE', `${handle.remote.server} could not be reached; the cached trust data is not evidence of the current state`);
    let serverSnapshot: string | undefined;
    try {
      serverSnapshot = safeCanonicalId(await handle.remote.getServerKey('snapshot'));
    } catch {
      serverSnapshot = undefined; // a server that does not hand out its snapshot key: the snapshot counts as the owner's
    }
    const st = statusOf(repo, s.now(), horizonMs, serverSnapshot);
    if (!withSigs) return st;
    const byDigest = new Map<string, string[]>();
    for (const row of signedTagRows(inspectSource(repo).targets)) {
      if (row.digest === '') continue;
      const d = `sha256:${row.digest}`;
      byDigest.set(d, [...(byDigest.get(d) ?? []), row.tag]);
    }
    const { images, notChecked } = await readImages(storeFor(s, ref), byDigest, { tsaRoots: opts.tsaRoots, cosignAt: signatureLocation(s, ref) });
    return withSignatures(st, images, s.now(), horizonMs, notChecked);
  } catch (err) {
    if (isVouchError(err)) return unverifiedStatus(handle.gun, err.code, err.message);
    throw err;
  }
}

/**
 * The OCI signatures of one image (`name`: `registry/repository`, `digest`: its manifest), read as
 * `vouch status` reads them: the dashboard's reader (`vouch server --ui --ui-registry`).
 */
export async function imageSignatureStatus(s: Session, name: string, digest: string, tsaRoots: readonly Uint8Array[] = []): Promise<ImageStatus> {
  const ref = parseReference(`${name}@${digest}`);
  const { images } = await readImages(storeFor(s, ref), new Map([[digest, []]]), { tsaRoots, cosignAt: signatureLocation(s, ref) });
  return withSignatures(emptyStatus(name), images, s.now(), 0).images[0] as ImageStatus;
}

/** A repository without DCT trust data: the OCI signatures of its first tags in the registry, or `unverified` when it has none. */
async function unsignedRepositoryStatus(s: Session, ref: ImageReference, horizonMs: number, missing: string, tsaRoots: readonly Uint8Array[] = []): Promise<RepoStatus> {
  const gun = gunOf(ref);
  const store = storeFor(s, ref);
  let tags: string[];
  try {
    tags = await s.registryFor(ref.registry).listTags(ref.repository, { limit: SIGNATURE_LIMITS.tagsListed });
  } catch (err) {
    if (!isVouchError(err)) throw err;
    if (err.code === 'REGISTRY_NOT_FOUND') return unverifiedStatus(gun, 'REPOSITORY_NOT_FOUND', `${missing}, and ${store.name} is not in its registry`);
    return unverifiedStatus(gun, err.code, `${missing}, and its registry could not be read for Notation or cosign signatures (${err.code}: ${err.message})`);
  }
  // Tags are the registry's word: only well-formed ones, and not the referrers API's fallback indexes
  // (sha256-<hex>) or cosign's signatures, attestations and SBOMs (sha256-<hex>.sig|.att|.sbom).
  const candidates = tags.filter((t) => isTag(t) && !/^sha256-[0-9a-f]{64}(\.(sig|att|sbom))?$/.test(t));
  const { images, notChecked } = await readImages(store, new Map(candidates.map((t) => [t, [t]])), { tsaRoots, cosignAt: signatureLocation(s, ref) });
  if (images.every((i) => i.error === undefined && i.signatures.length === 0)) {
    return unverifiedStatus(gun, 'NO_SIGNATURES', `${missing}, and none of the ${images.length} tags read from its registry has a Notation or cosign signature`);
  }
  return withSignatures(emptyStatus(gun), images, s.now(), horizonMs, notChecked);
}
