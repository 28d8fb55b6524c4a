// An in-memory, possibly malicious Notary repository for tests (like go-tuf's RepositorySimulator):
// it builds real signed metadata with freshly generated keys, serves bytes by role and by root
// version, and lets a test tamper with anything before the client reads it. It is the production
// Updater's MetadataFetcher; TestClient runs that Updater over it with an in-memory MetadataCache.
import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { VouchError, canonicalBytes, canonicalString, sha256, signBytes, toBase64, type JsonObject, type PublicKeyData, type SignatureMethod } from '../../src/core/index.js';
import {
  addDelegation, addTargets, createRoot, createSnapshot, createTargets, createTimestamp, dockerTarget, keyId,
  newVersion, setRootRoleKeys, signMetadata, BASE_ROLES,
  type BaseRole, type Metadata, type Root, type Signed, type Signer, type Snapshot, type Targets, type Timestamp, type TreeWarning, type TrustedMetadata, type TrustPinning,
} from '../../src/tuf/index.js';
import { Updater, type MetadataCache, type MetadataFetcher, type VerifiedRepo } from '../../src/client/updater.js';
import { basicConstraintsExtension, createCertificate, extendedKeyUsageExtension, keyUsageExtension } from '../../src/keys/cert.js';
import { EXT_KEY_USAGE, KEY_USAGE } from '../../src/core/index.js';
import { X509Certificate } from './x509-lib.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface CertOptions {
  cn?: string;
  notBefore?: Date;
  notAfter?: Date;
  hash?: 'SHA-256' | 'SHA-1';
  ca?: boolean;
  /** Issuer (default: self-signed). */
  issuer?: { key: TestKey; cert: string };
}

/** A generated private key behind the Signer interface; `publicKey` is ecdsa-x509 when a certificate is attached. */
export class TestKey implements Signer {
  readonly keyId: string;
  readonly publicKey: PublicKeyData;
  readonly privateKey: KeyObject;
  readonly certificate: string | undefined;

  private constructor(privateKey: KeyObject, certificate?: string) {
    this.privateKey = privateKey;
    this.certificate = certificate;
    const pub = privateKey.asymmetricKeyType === 'ed25519'
      ? { keytype: 'ed25519' as const, public: Buffer.from(privateKey.export({ format: 'jwk' }).x as string, 'base64url') }
      : { keytype: privateKey.asymmetricKeyType === 'ec' ? 'ecdsa' as const : 'rsa' as const, public: Buffer.from(webPublic(privateKey)) };
    this.publicKey = certificate === undefined
      ? pub
      : { keytype: pub.keytype === 'ecdsa' ? 'ecdsa-x509' : 'rsa-x509', public: Buffer.from(certificate, 'utf8') };
    this.keyId = keyId(this.publicKey);
  }

  static generate(type: 'ecdsa' | 'ed25519' | 'rsa' = 'ecdsa'): TestKey {
    const pair = type === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return new TestKey(pair.privateKey);
  }

  /** A root key as notary makes it: ECDSA P-256 in a self-signed certificate, CN = GUN, 10 years. */
  static async root(gun: string, now: Date, opts: CertOptions = {}): Promise<TestKey> {
    return TestKey.generate('ecdsa').withNewCertificate(gun, now, opts);
  }

  /** The same private key with a certificate for it (CN, validity, hash and issuer from `opts`). */
  async withNewCertificate(gun: string, now: Date, opts: CertOptions = {}): Promise<TestKey> {
    return this.withCertificate(await this.certFor(gun, now, opts));
  }

  withCertificate(pem: string): TestKey {
    return new TestKey(this.privateKey, pem);
  }

  /** The bare key (no certificate). */
  bare(): TestKey {
    return new TestKey(this.privateKey);
  }

  private async certFor(gun: string, now: Date, opts: CertOptions): Promise<string> {
    const signer = opts.issuer?.key ?? this;
    const notBefore = opts.notBefore ?? new Date(Math.floor(now.getTime() / 1000) * 1000);
    const cn = opts.cn ?? gun;
    const der = await createCertificate({
      serialNumber: randomBytes(16).toString('hex'),
      subject: [{ CN: [cn] }],
      ...(opts.issuer === undefined ? {} : { issuer: new X509Certificate(opts.issuer.cert).subjectDer }),
      notBefore,
      notAfter: opts.notAfter ?? new Date(notBefore.getTime() + 3650 * DAY_MS),
      publicKey: createPublicKey(this.privateKey),
      signingKey: signer.privateKey,
      hash: opts.hash ?? 'SHA-256',
      extensions: opts.ca
        ? [basicConstraintsExtension(true, undefined, true), keyUsageExtension(KEY_USAGE.keyCertSign, true)]
        : [
          keyUsageExtension(KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment, true),
          extendedKeyUsageExtension([EXT_KEY_USAGE.codeSigning], false),
          basicConstraintsExtension(false, undefined, true),
        ],
    });
    return new X509Certificate(der).toString('pem') + '\n';
  }

  sign(data: Uint8Array): { method: SignatureMethod; sig: Uint8Array } {
    return signBytes(this.privateKey, data);
  }
}

/** DER SPKI of a private key's public half. */
function webPublic(k: KeyObject): Buffer {
  return createPublicKey(k).export({ format: 'der', type: 'spki' });
}

/** A docker-style target for some content: sha256 of the bytes and their length. */
export function targetFor(content: string | Uint8Array): ReturnType<typeof dockerTarget> {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return dockerTarget(sha256(bytes), bytes.byteLength);
}

export interface SimulatorOptions {
  gun?: string;
  now?: Date;
}

/** What the transport does with a body over the caller's limit. */
function bounded(role: string, bytes: Uint8Array | undefined, maxBytes: number | undefined): Uint8Array | undefined {
  if (bytes !== undefined && maxBytes !== undefined && bytes.byteLength > maxBytes) {
    throw new VouchError('TOO_LARGE', `the response for ${role} is larger than the limit of ${maxBytes} bytes`, { details: { limit: maxBytes } });
  }
  return bytes;
}

/**
 * The repository. `served` is what the server answers for `<role>.json` and for any checksum of
 * the role (a malicious server need not honour the checksum); `roots` answers
 * `<version>.root.json`; `history` keeps every published version of each role for rollback
 * attacks. publish() re-signs edited roles and makes a new snapshot and timestamp.
 */
export class RepositorySimulator implements MetadataFetcher {
  readonly server = 'the simulated trust server';
  readonly gun: string;
  now: Date;
  readonly keys: Record<BaseRole, TestKey[]>;
  readonly delegationKeys = new Map<string, TestKey[]>();
  root: Metadata<Root>;
  readonly targets = new Map<string, Metadata<Targets>>();
  snapshot: Metadata<Snapshot> | undefined;
  timestamp: Metadata<Timestamp> | undefined;
  readonly served = new Map<string, Uint8Array>();
  readonly roots = new Map<number, Uint8Array>();
  readonly history = new Map<string, Uint8Array[]>();
  /** Extra signers for the next root publish (the previous root keys during a rotation). */
  #rootCosigners: TestKey[] = [];
  #rootDirty = true;
  readonly #dirty = new Set<string>(['targets']);
  readonly #published = new Map<string, number>();

  private constructor(gun: string, now: Date, keys: Record<BaseRole, TestKey[]>) {
    this.gun = gun;
    this.now = now;
    this.keys = keys;
    this.root = createRoot({ keys: publicKeys(keys), now });
    this.targets.set('targets', createTargets('targets', now));
  }

  static async create(opts: SimulatorOptions = {}): Promise<RepositorySimulator> {
    const gun = opts.gun ?? 'example.com/org/app';
    const now = opts.now ?? new Date('2026-11-25T12:00:00Z');
    const keys = { root: [await TestKey.root(gun, now)], targets: [TestKey.generate()], snapshot: [TestKey.generate()], timestamp: [TestKey.generate('ed25519')] };
    const sim = new RepositorySimulator(gun, now, keys);
    await sim.publish();
    return sim;
  }

  // ---- MetadataFetcher: what the updater downloads ----

  getRole(role: string, maxBytes?: number): Promise<Uint8Array | undefined> {
    return Promise.resolve(bounded(role, this.served.get(role), maxBytes));
  }

  getRoleVersion(role: string, version: number, maxBytes?: number): Promise<Uint8Array | undefined> {
    const bytes = role === 'root' ? this.roots.get(version) : undefined;
    return Promise.resolve(bounded(role, bytes, maxBytes));
  }

  getRoleChecksum(role: string, _sha256Hex: string, maxBytes?: number): Promise<Uint8Array | undefined> {
    return this.getRole(role, maxBytes);
  }

  /** Bytes the server would answer for a role, or METADATA_NOT_FOUND. */
  fetch(role: string): Uint8Array {
    const b = this.served.get(role);
    if (b === undefined) throw new VouchError('METADATA_NOT_FOUND', `${role} not found`, { details: { role } });
    return b;
  }

  /** Edits a targets role; the next publish bumps its version and signs it. */
  editTargets(role: string, change: (md: Metadata<Targets>) => Metadata<Targets>): void {
    const md = this.targets.get(role) ?? createTargets(role, this.now);
    this.targets.set(role, change(md));
    this.#dirty.add(role);
  }

  addTarget(role: string, name: string, content: string = name): void {
    this.editTargets(role, (md) => addTargets(md, { [name]: targetFor(content) }));
  }

  /** Delegates `name` from its parent to `keys` (new keys by default). */
  delegate(parent: string, name: string, opts: { keys?: TestKey[]; paths?: string[]; threshold?: number } = {}): TestKey[] {
    const keys = opts.keys ?? [TestKey.generate()];
    this.delegationKeys.set(name, keys);
    this.editTargets(parent, (md) => addDelegation(md, name, { keys: keys.map((k) => k.publicKey), paths: opts.paths ?? [''], threshold: opts.threshold ?? 1 }));
    this.editTargets(name, (md) => md);
    return keys;
  }

  /** Replaces a base role's keys in a new root (root rotations are signed by the old and new root keys). */
  setRoleKeys(role: BaseRole, keys: TestKey[], threshold?: number): void {
    if (role === 'root') this.#rootCosigners.push(...this.keys.root);
    this.keys[role] = keys;
    this.root = setRootRoleKeys(this.root, role, keys.map((k) => k.publicKey), threshold);
    this.#rootDirty = true;
  }

  /** Edits the root's signed JSON directly; signed on the next publish. */
  editRoot(change: (md: Metadata<Root>) => Metadata<Root>): void {
    this.root = change(this.root);
    this.#rootDirty = true;
  }

  signersFor(role: string): TestKey[] {
    const keys = role === 'root' || role === 'targets' || role === 'snapshot' || role === 'timestamp' ? this.keys[role] : this.delegationKeys.get(role);
    if (keys === undefined) throw new Error(`no keys for ${role}`);
    return keys;
  }

  /** Signs edited roles (new versions), then a new snapshot over every served file and a new timestamp. */
  async publish(opts: { rootSigners?: TestKey[] } = {}): Promise<void> {
    if (this.#rootDirty) {
      const signers = opts.rootSigners ?? [...new Set([...this.#rootCosigners, ...this.keys.root])];
      this.root = await signMetadata(this.#next('root', this.root), signers);
      this.#serve('root', this.root);
      this.roots.set(this.root.signed.version, this.root.toBytes());
      this.#rootDirty = false;
      this.#rootCosigners = [];
    }
    for (const role of [...this.#dirty].sort((a, b) => a.split('/').length - b.split('/').length)) {
      const md = await signMetadata(this.#next(role, this.targets.get(role)!), this.signersFor(role));
      this.targets.set(role, md);
      this.#serve(role, md);
    }
    this.#dirty.clear();
    await this.publishSnapshotAndTimestamp();
  }

  /** What a server holding the snapshot and timestamp keys does: sign whatever files it serves now. */
  async publishSnapshotAndTimestamp(): Promise<void> {
    const files = new Map([...this.served].filter(([role]) => role !== 'snapshot' && role !== 'timestamp'));
    const remove = [...(this.snapshot?.signed.meta.keys() ?? [])].filter((role) => !files.has(role));
    this.snapshot = await signMetadata(createSnapshot(files, { now: this.now, previous: this.snapshot, remove }), this.keys.snapshot);
    this.#serve('snapshot', this.snapshot);
    await this.publishTimestamp();
  }

  async publishTimestamp(): Promise<void> {
    this.timestamp = await signMetadata(createTimestamp(this.fetch('snapshot'), { now: this.now, previous: this.timestamp }), this.keys.timestamp);
    this.#serve('timestamp', this.timestamp);
  }

  /** Signs an arbitrary document with the given signers (default: the role's keys), without serving it. */
  async sign<T extends Signed>(md: Metadata<T>, signers: readonly Signer[] = this.signersFor(md.role)): Promise<Metadata<T>> {
    return signMetadata(md, signers);
  }

  /** Serves exact bytes for a role (tampering); does not touch snapshot or timestamp. A root is also served by its version. */
  serve(role: string, bytes: Uint8Array): void {
    this.served.set(role, bytes);
    if (role !== 'root') return;
    let version: unknown;
    try {
      version = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed?: { version?: unknown } }).signed?.version;
    } catch {
      return;
    }
    if (typeof version === 'number') this.roots.set(version, bytes);
  }

  #next<T extends Signed>(role: string, md: Metadata<T>): Metadata<T> {
    const last = this.#published.get(role);
    // A test that already set a newer version (and maybe its expiry) keeps it.
    return last === undefined || md.signed.version > last ? md : newVersion(md, this.now);
  }

  #serve(role: string, md: Metadata<Signed>): void {
    const bytes = md.toBytes();
    this.served.set(role, bytes);
    this.#published.set(role, md.signed.version);
    const h = this.history.get(role) ?? [];
    h.push(bytes);
    this.history.set(role, h);
  }
}

function publicKeys(keys: Record<BaseRole, TestKey[]>): Record<BaseRole, PublicKeyData[]> {
  return Object.fromEntries(BASE_ROLES.map((r) => [r, keys[r].map((k) => k.publicKey)])) as Record<BaseRole, PublicKeyData[]>;
}

export interface RefreshResult {
  tm: TrustedMetadata;
  /** delegations skipped with their subtrees */
  warnings: readonly TreeWarning[];
  repo: VerifiedRepo;
}

/** docker's metadata cache, in memory (role → bytes of one GUN): the updater's MetadataCache. */
export class MemoryCache extends Map<string, Uint8Array> implements MetadataCache {
  metadataDir(gun: string): string {
    return `memory:${gun}`;
  }

  readMetadata(_gun: string, role: string, maxBytes?: number): Promise<Uint8Array | undefined> {
    const bytes = this.get(role);
    if (bytes !== undefined && maxBytes !== undefined && bytes.byteLength > maxBytes) {
      return Promise.reject(new VouchError('TOO_LARGE', `cached ${role} is larger than ${maxBytes} bytes`));
    }
    return Promise.resolve(bytes);
  }

  writeMetadata(_gun: string, role: string, bytes: Uint8Array): Promise<void> {
    this.set(role, Uint8Array.from(bytes));
    return Promise.resolve();
  }
}

/** A client as the CLI runs it: the production Updater over the simulator, with a memory cache. */
export class TestClient {
  readonly cache = new MemoryCache();
  readonly sim: RepositorySimulator;
  readonly pinning: TrustPinning | undefined;
  /** every warning the updater printed */
  readonly printed: string[] = [];

  constructor(sim: RepositorySimulator, opts: { pinning?: TrustPinning } = {}) {
    this.sim = sim;
    this.pinning = opts.pinning;
  }

  async refresh(now: Date = this.sim.now): Promise<RefreshResult> {
    const repo = await new Updater({
      gun: this.sim.gun, cache: this.cache, remote: this.sim, now, warn: (m) => this.printed.push(m),
      ...(this.pinning ? { pinning: this.pinning } : {}),
    }).update();
    return { tm: repo.trusted, warnings: repo.skipped, repo };
  }
}

/**
 * Signs a `signed` object that the models would refuse (thresholds of 0, wrong key IDs, …) and
 * returns the envelope bytes: what an attacker holding the keys can publish.
 */
export function signRaw(signed: JsonObject, signers: readonly TestKey[]): Uint8Array {
  const data = canonicalBytes(signed);
  const signatures = signers.map((s) => {
    const { method, sig } = s.sign(data);
    return { keyid: s.keyId, method, sig: toBase64(sig) };
  });
  return Buffer.from(`{"signed":${canonicalString(signed)},"signatures":${JSON.stringify(signatures)}}`);
}

/** Rewrites an envelope's JSON (signed and signatures) without re-signing. */
export function rewrite(bytes: Uint8Array, change: (doc: { signed: JsonObject; signatures: { keyid: string; method: string; sig: string }[] }) => void): Uint8Array {
  const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed: JsonObject; signatures: { keyid: string; method: string; sig: string }[] };
  change(doc);
  return Buffer.from(`{"signed":${canonicalString(doc.signed)},"signatures":${JSON.stringify(doc.signatures)}}`);
}
