// Trust-data archives: a repository's verified Docker Content Trust metadata (every root version,
// timestamp, snapshot, targets and the loaded delegations) kept as one OCI artifact in a registry
// or an OCI layout, so that who had signed which digest can be shown later, offline, without a
// Notary server (Docker Hub's retires on 2026-12-08). Reading an archive runs the same updater as
// a live pull, from the archive's first root (or the root this machine already trusts), at the
// archive's own time: historical evidence. Freshness cannot be proven from it once the timestamp
// has expired (The Update Framework specification, 5.4.3: a client must refuse expired metadata;
// an archive reports that instead).
import { VouchError, digestOf, isJsonObject, parseJson, sha256 } from '../core/index.js';
import { TrustedMetadata, maxBytesFor, type TrustPinning } from '../tuf/index.js';
import { OciLayout, OciLayoutWriter } from '../oci/layout.js';
import { parseManifest, type Descriptor, type ImageManifest } from '../oci/manifest.js';
import { OCI_EMPTY, OCI_MANIFEST, MAX_MANIFEST_BYTES } from '../oci/mediatypes.js';
import { parseReference, gunOf, type ImageReference } from '../oci/reference.js';
import { parseLayoutLocation } from '../oci/transports.js';
import { RepoHandle } from './repo.js';
import type { Session } from './session.js';
import { Updater, type MetadataCache, type MetadataFetcher, type VerifiedRepo } from './updater.js';

export const DCT_ARCHIVE_TYPE = 'application/vnd.vouch.dct.archive.v1';
export const DCT_METADATA_TYPE = 'application/vnd.vouch.dct.metadata.v1+json';
export const DEFAULT_ARCHIVE_TAG = 'dct-archive';
const ANNOTATION = {
  gun: 'dev.vouch.dct.gun',
  server: 'dev.vouch.dct.server',
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
} as const;
/** Root versions plus delegations: far above any real repository, far below a denial of service. */
const MAX_FILES = 2048;
const EMPTY_CONFIG = Buffer.from('{}');
const ROOT_FILE = /^root\.([1-9][0-9]{0,8})\.json$/;

export interface DctArchive {
  gun: string;
  /** the trust server the data came from */
  server: string;
  /** when the archive was made: the time its data is verified at */
  created: Date;
  /** `root.1.json` … `root.N.json`, `timestamp.json`, `snapshot.json`, `targets.json`, `targets/<role>.json` */
  files: Map<string, Uint8Array>;
}

/** What an archive shows about a repository: its data verified as of `created`. */
export interface ArchivedRepo {
  archive: DctArchive;
  repo: VerifiedRepo;
  /** how the first root came to be trusted */
  anchor: 'trust-dir' | 'pinning' | 'first-root';
  /** the earliest expiry among timestamp, snapshot and targets: after it, freshness cannot be proven */
  freshUntil: Date;
}

/**
 * Gathers a repository's verified trust data from its trust server: the updater's verified files,
 * and the root chain from version 1, each rotation checked, ending in the root this client trusts.
 */
export async function collectArchive(s: Session, ref: Pick<ImageReference, 'registry' | 'repository'>): Promise<DctArchive> {
  const handle = new RepoHandle(s, { ...ref });
  const repo = await handle.loadExisting();
  if (!repo.fresh) {
    throw new VouchError('UNREACHABLE', `${handle.remote.server} could not be reached; an archive is made from fresh trust data only`, {
      hint: 'retry when the trust server answers',
    });
  }
  const gun = handle.gun;
  const files = new Map<string, Uint8Array>();
  const last = repo.root.signed.version;
  let chain: TrustedMetadata | undefined;
  for (let v = 1; v <= last; v++) {
    const bytes = await handle.remote.getRoleVersion('root', v, maxBytesFor('root'));
    if (bytes === undefined) {
      throw new VouchError('METADATA_NOT_FOUND', `${handle.remote.server} does not have version ${v} of the root of ${gun}`, {
        hint: 'an archive holds the whole root chain, so that it verifies from its first root',
      });
    }
    if (chain === undefined) chain = TrustedMetadata.fromRoot(bytes, { gun, now: s.now() });
    else chain.updateRoot(bytes);
    files.set(`root.${v}.json`, bytes);
  }
  const trustedRoot = await s.trustDir.readMetadata(gun, 'root', maxBytesFor('root'));
  if (trustedRoot === undefined || !sha256(trustedRoot).equals(sha256(files.get(`root.${last}.json`) as Uint8Array))) {
    throw new VouchError('TRUST_PINNING', `the root chain ${handle.remote.server} serves for ${gun} does not end in the root this client trusts`, {
      hint: `compare with \`vouch trust inspect ${gun}\`; nothing was archived`,
    });
  }
  for (const role of ['timestamp', 'snapshot', ...repo.trusted.loadedTargetsRoles]) {
    const bytes = await s.trustDir.readMetadata(gun, role, maxBytesFor(role));
    if (bytes === undefined) throw new VouchError('INTERNAL', `verified ${role} metadata of ${gun} is missing from the trust cache`);
    files.set(`${role}.json`, bytes);
  }
  return { gun, server: handle.remote.server, created: s.now(), files };
}

/** The archive as one OCI 1.1 artifact manifest, its layers the metadata files. */
export function buildArchiveManifest(archive: DctArchive): { bytes: Buffer; config: { descriptor: Descriptor; bytes: Buffer }; layers: { descriptor: Descriptor; bytes: Uint8Array }[] } {
  const layers = [...archive.files].map(([name, bytes]) => ({
    descriptor: { mediaType: DCT_METADATA_TYPE, digest: digestOf(bytes), size: bytes.byteLength, annotations: { [ANNOTATION.title]: name } },
    bytes,
  }));
  const config = { descriptor: { mediaType: OCI_EMPTY, digest: digestOf(EMPTY_CONFIG), size: EMPTY_CONFIG.byteLength }, bytes: EMPTY_CONFIG };
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: DCT_ARCHIVE_TYPE,
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
    annotations: { [ANNOTATION.gun]: archive.gun, [ANNOTATION.server]: archive.server, [ANNOTATION.created]: archive.created.toISOString() },
  };
  return { bytes: Buffer.from(JSON.stringify(manifest)), config, layers };
}

/** Where an archive goes or comes from: `oci:DIR[:TAG]`, or `REGISTRY/REPOSITORY[:TAG]`. */
export type ArchiveLocation =
  | { kind: 'layout'; path: string; tag: string }
  | { kind: 'registry'; ref: ImageReference; tag: string };

export function parseArchiveLocation(location: string): ArchiveLocation {
  if (location.startsWith('oci:')) {
    const { path, tag } = parseLayoutLocation(location);
    return { kind: 'layout', path, tag: tag ?? DEFAULT_ARCHIVE_TAG };
  }
  const ref = parseReference(location);
  if (ref.digest !== undefined && ref.tag === undefined) return { kind: 'registry', ref, tag: ref.digest };
  return { kind: 'registry', ref, tag: ref.tag ?? DEFAULT_ARCHIVE_TAG };
}

/** Writes the archive; a layout is changed atomically (index.json last), a registry gets blobs first. */
export async function storeArchive(s: Session, archive: DctArchive, to: ArchiveLocation): Promise<{ digest: string; location: string }> {
  const built = buildArchiveManifest(archive);
  const digest = digestOf(built.bytes);
  const descriptor: Descriptor = { mediaType: OCI_MANIFEST, digest, size: built.bytes.byteLength, artifactType: DCT_ARCHIVE_TYPE };
  if (to.kind === 'layout') {
    const w = await OciLayoutWriter.open(to.path);
    try {
      await w.writeBlob(built.config.descriptor, built.config.bytes);
      for (const l of built.layers) await w.writeBlob(l.descriptor, Buffer.from(l.bytes));
      await w.writeBlob(descriptor, built.bytes);
      w.addManifest(descriptor, to.tag);
      await w.commit();
    } catch (err) {
      await w.abort();
      throw err;
    }
    return { digest, location: `oci:${to.path}:${to.tag}` };
  }
  const client = s.registryFor(to.ref.registry);
  const repo = to.ref.repository;
  await client.pushBlob(repo, built.config.descriptor, built.config.bytes);
  for (const l of built.layers) await client.pushBlob(repo, l.descriptor, Buffer.from(l.bytes));
  await client.putManifest(repo, to.tag, built.bytes, OCI_MANIFEST);
  return { digest, location: `${to.ref.registry}/${repo}:${to.tag}` };
}

/** Reads an archive: the manifest and every layer checked against its descriptor, sizes bounded. */
export async function loadArchive(s: Session, from: ArchiveLocation): Promise<DctArchive> {
  let manifestBytes: Buffer;
  let readLayer: (d: Descriptor) => Promise<Buffer>;
  let where: string;
  if (from.kind === 'layout') {
    const layout = await OciLayout.open(from.path);
    const desc = layout.resolve(from.tag);
    manifestBytes = await layout.readManifest(desc);
    readLayer = (d) => layout.readManifest(d); // a small blob, read whole and checked like a manifest
    where = `oci:${from.path}:${from.tag}`;
  } else {
    const client = s.registryFor(from.ref.registry);
    const fetched = await client.getManifest(from.ref.repository, from.tag);
    manifestBytes = fetched.bytes;
    readLayer = (d) => client.readBlob(from.ref.repository, { digest: d.digest, size: d.size });
    where = `${from.ref.registry}/${from.ref.repository}:${from.tag}`;
  }
  return parseArchive(manifestBytes, readLayer, where);
}

async function parseArchive(bytes: Buffer, readLayer: (d: Descriptor) => Promise<Buffer>, where: string): Promise<DctArchive> {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new VouchError('TOO_LARGE', `${where}: the archive manifest is over ${MAX_MANIFEST_BYTES} bytes`);
  const m = parseManifest(bytes, OCI_MANIFEST);
  const bad = (what: string): VouchError => new VouchError('INVALID_METADATA', `${where} is not a vouch trust-data archive: ${what}`, {
    hint: 'make one with `vouch trust archive REPOSITORY --to …`',
  });
  if (m.kind !== 'manifest' || m.artifactType !== DCT_ARCHIVE_TYPE) throw bad(`artifactType is not ${DCT_ARCHIVE_TYPE}`);
  const manifest: ImageManifest = m;
  const gun = manifest.annotations?.[ANNOTATION.gun];
  const server = manifest.annotations?.[ANNOTATION.server] ?? 'unknown';
  const createdText = manifest.annotations?.[ANNOTATION.created];
  const created = createdText === undefined ? undefined : new Date(createdText);
  if (gun === undefined || gun === '') throw bad(`no ${ANNOTATION.gun} annotation`);
  if (created === undefined || Number.isNaN(created.getTime())) throw bad(`no valid ${ANNOTATION.created} annotation`);
  if (manifest.layers.length > MAX_FILES) throw new VouchError('TOO_LARGE', `${where} has ${manifest.layers.length} files, over the limit of ${MAX_FILES}`);
  const files = new Map<string, Uint8Array>();
  for (const layer of manifest.layers) {
    const name = layer.annotations?.[ANNOTATION.title];
    if (layer.mediaType !== DCT_METADATA_TYPE || name === undefined || !name.endsWith('.json')) throw bad(`layer ${layer.digest} is not a named metadata file`);
    if (files.has(name)) throw bad(`${name} appears twice`);
    const role = ROOT_FILE.test(name) ? 'root' : name.slice(0, -'.json'.length);
    if (layer.size > maxBytesFor(role)) throw new VouchError('TOO_LARGE', `${where}: ${name} is ${layer.size} bytes, over the limit of ${maxBytesFor(role)}`);
    files.set(name, await readLayer(layer));
  }
  return { gun, server, created, files };
}

/** An archive as the updater's remote: every file by name, roots by version, anything by checksum. */
class ArchiveFetcher implements MetadataFetcher {
  readonly server: string;
  private readonly byChecksum = new Map<string, Uint8Array>();
  constructor(private readonly archive: DctArchive) {
    this.server = `the trust-data archive of ${archive.gun} (${archive.created.toISOString()}, from ${archive.server})`;
    for (const bytes of archive.files.values()) this.byChecksum.set(sha256(bytes).toString('hex'), bytes);
  }
  private bounded(bytes: Uint8Array | undefined, maxBytes: number | undefined, what: string): Uint8Array | undefined {
    if (bytes !== undefined && maxBytes !== undefined && bytes.byteLength > maxBytes) throw new VouchError('TOO_LARGE', `${what} in the archive is over ${maxBytes} bytes`);
    return bytes;
  }
  async getRole(role: string, maxBytes?: number): Promise<Uint8Array | undefined> {
    if (role === 'root') return this.bounded(this.archive.files.get(`root.${lastRootVersion(this.archive)}.json`), maxBytes, 'root');
    return this.bounded(this.archive.files.get(`${role}.json`), maxBytes, role);
  }
  async getRoleVersion(role: string, version: number, maxBytes?: number): Promise<Uint8Array | undefined> {
    if (role === 'root') return this.bounded(this.archive.files.get(`root.${version}.json`), maxBytes, `root version ${version}`);
    return undefined;
  }
  async getRoleChecksum(role: string, sha256Hex: string, maxBytes?: number): Promise<Uint8Array | undefined> {
    const bytes = this.byChecksum.get(sha256Hex);
    if (bytes === undefined && this.archive.files.has(`${role}.json`)) {
      // The file is there, but not the one the signed snapshot names: altered after it was signed.
      throw new VouchError('HASH_MISMATCH', `${role}.json in the trust-data archive of ${this.archive.gun} is not the file its snapshot lists (sha256 ${sha256Hex})`, {
        hint: 'the archive was altered after it was made; use an untouched copy',
      });
    }
    return this.bounded(bytes, maxBytes, role);
  }
}

function lastRootVersion(archive: DctArchive): number {
  let last = 0;
  for (const name of archive.files.keys()) {
    const m = ROOT_FILE.exec(name);
    if (m) last = Math.max(last, Number(m[1]));
  }
  return last;
}

/** A cache that starts from one root and keeps what the updater verifies in memory (nothing is written). */
class AnchoredCache implements MetadataCache {
  private readonly files = new Map<string, Uint8Array>();
  constructor(root: Uint8Array | undefined) { if (root !== undefined) this.files.set('root', root); }
  metadataDir(): string { return 'the archive'; }
  async readMetadata(_gun: string, role: string): Promise<Uint8Array | undefined> { return this.files.get(role); }
  async writeMetadata(_gun: string, role: string, bytes: Uint8Array): Promise<void> { this.files.set(role, bytes); }
}

/**
 * Verifies an archive offline, as of its own time: from the root this machine already trusts for
 * the repository (its trust directory), else from the pinned root, else from the archive's first
 * root; every rotation, signature, threshold, hash and rollback floor as a live update checks them.
 */
export async function verifyArchive(s: Session, archive: DctArchive, opts: { pinning?: TrustPinning } = {}): Promise<ArchivedRepo> {
  const last = lastRootVersion(archive);
  if (last === 0) throw new VouchError('INVALID_METADATA', `the trust-data archive of ${archive.gun} holds no root`);
  for (let v = 1; v <= last; v++) {
    if (!archive.files.has(`root.${v}.json`)) throw new VouchError('INVALID_METADATA', `the trust-data archive of ${archive.gun} lacks root version ${v} of ${last}`);
  }
  const cachedRoot = await s.trustDir.readMetadata(archive.gun, 'root', maxBytesFor('root'));
  if (cachedRoot !== undefined) checkNotAhead(archive, cachedRoot, last);
  const anchor: ArchivedRepo['anchor'] = cachedRoot !== undefined ? 'trust-dir' : opts.pinning !== undefined ? 'pinning' : 'first-root';
  // With pinning, the updater checks the archive's newest root against the pins, as notary does on first use.
  const start = anchor === 'pinning' ? undefined : cachedRoot ?? archive.files.get('root.1.json');
  const updater = new Updater({
    gun: archive.gun, cache: new AnchoredCache(start), remote: new ArchiveFetcher(archive), now: archive.created,
    warn: (m) => s.warn(m), ...(anchor === 'pinning' && opts.pinning ? { pinning: opts.pinning } : {}),
  });
  const repo = await updater.update();
  if (repo.root.signed.version !== last) {
    throw new VouchError('INVALID_METADATA', `the archive's snapshot names root version ${repo.root.signed.version}, but it holds versions up to ${last}`);
  }
  const freshUntil = new Date(Math.min(repo.timestamp.signed.expires.getTime(), repo.snapshot.signed.expires.getTime(), repo.targets.signed.expires.getTime()));
  return { archive, repo, anchor, freshUntil };
}

/** A trust dir that already trusts a newer root than the archive's last: the archive is older than what this machine saw. */
function checkNotAhead(archive: DctArchive, cachedRoot: Uint8Array, last: number): void {
  const v = parseJson(cachedRoot, { maxBytes: maxBytesFor('root'), what: 'cached root' });
  const version = isJsonObject(v) && isJsonObject(v.signed) && typeof v.signed.version === 'number' ? v.signed.version : undefined;
  if (version !== undefined && version > last) {
    throw new VouchError('ROLLBACK', `this machine already trusts root version ${version} of ${archive.gun}; the archive ends at version ${last}`, {
      hint: 'the archive predates a root rotation this machine has seen; verify it on a machine without cached trust data for the repository, or with --trust-pinning',
    });
  }
}

/** The archive's repository must be the image's. */
export function checkArchiveFor(archived: ArchivedRepo, ref: Pick<ImageReference, 'registry' | 'repository'>): void {
  if (archived.archive.gun !== gunOf(ref)) {
    throw new VouchError('INVALID_ARGUMENT', `the trust-data archive is of ${archived.archive.gun}, not of ${gunOf(ref)}`);
  }
}
