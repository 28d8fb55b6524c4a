// A scriptable Notary server for client tests: serves whatever bytes a test puts at a path (so it
// can serve rolled-back, frozen, mixed, re-keyed, oversized or mis-signed metadata), records every
// request, and builds valid repositories with the tuf editor so that attacks start from real data.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { sha256, toHex } from '../../../src/core/index.js';
import { generateKey, generateRootKey, type PrivateKey } from '../../../src/keys/index.js';
import {
  addDelegation, addTargets, createRoot, createSnapshot, createTargets, createTimestamp, dockerTarget, newVersion,
  setRootRoleKeys, signMetadata, type Metadata, type Root, type Snapshot, type Targets, type Timestamp,
} from '../../../src/tuf/index.js';

export class FakeNotary {
  readonly files = new Map<string, Buffer>();
  readonly requests: string[] = [];
  /** path tail → status to answer instead of the file */
  readonly status = new Map<string, number>();
  /** path tail → a hand-written answer (endless, dripped, hostile error bodies) */
  readonly answer = new Map<string, (res: ServerResponse) => void>();
  /** open responses, ended by stop() */
  private readonly open = new Set<ServerResponse>();
  private server: Server | undefined;
  url = '';
  readonly gun: string;

  constructor(gun: string) {
    this.gun = gun;
  }

  /** Starts on a loopback port; with `tls`, HTTPS (and mutual TLS when it asks for client certificates). */
  async start(tls?: HttpsOptions): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      const url = req.url ?? '';
      this.requests.push(`${req.method} ${url}`);
      const prefix = `/v2/${this.gun}/_trust/tuf/`;
      const tail = url.startsWith(prefix) ? url.slice(prefix.length) : undefined;
      const custom = tail === undefined ? undefined : this.answer.get(tail);
      if (custom !== undefined) {
        this.open.add(res);
        res.once('close', () => this.open.delete(res));
        custom(res);
        return;
      }
      const st = tail === undefined ? undefined : this.status.get(tail);
      if (st !== undefined) {
        res.writeHead(st).end('{"errors":[{"code":"UNKNOWN","message":"scripted"}]}');
        return;
      }
      const body = tail === undefined ? undefined : this.files.get(tail);
      if (req.method === 'GET' && body !== undefined) {
        res.writeHead(200, { 'content-length': body.byteLength }).end(body);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist."}]}');
    };
    this.server = tls ? createHttpsServer(tls, handler) : createServer(handler);
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', () => r()));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
    this.server?.closeAllConnections();
  }

  /** Serves a role as the current version, by version and by checksum. */
  put(md: Metadata, opts: { current?: boolean; bytes?: Uint8Array } = {}): void {
    const bytes = Buffer.from(opts.bytes ?? md.bytes());
    if (opts.current !== false) this.files.set(`${md.role}.json`, bytes);
    this.files.set(`${md.signed.version}.${md.role}.json`, bytes);
    this.files.set(`${md.role}.${toHex(sha256(bytes))}.json`, bytes);
  }

  /** Requests made since the last call (paths relative to the GUN's tuf/ folder). */
  take(): string[] {
    const prefix = `GET /v2/${this.gun}/_trust/tuf/`;
    return this.requests.splice(0).map((r) => (r.startsWith(prefix) ? r.slice(prefix.length) : r));
  }
}

const DAY = 24 * 3600 * 1000;

/** A docker-style repository signed with real keys; publish() serves it on a FakeNotary. */
export class RepoBuilder {
  readonly gun: string;
  now: Date;
  rootKey!: PrivateKey;
  targetsKey = generateKey('ecdsa');
  snapshotKey = generateKey('ecdsa');
  timestampKey = generateKey('ed25519');
  readonly signers = new Map<string, PrivateKey>();
  root!: Metadata<Root>;
  readonly roles = new Map<string, Metadata<Targets>>();
  snapshot: Metadata<Snapshot> | undefined;
  timestamp: Metadata<Timestamp> | undefined;
  /** extra signers for the next root (old keys during rotation) */
  private rootSigners: PrivateKey[] = [];

  private constructor(gun: string, now: Date) {
    this.gun = gun;
    this.now = now;
  }

  static async create(gun: string, now: Date, signers: string[] = ['alice'], rootKey?: PrivateKey): Promise<RepoBuilder> {
    const b = new RepoBuilder(gun, now);
    b.rootKey = rootKey ?? await generateRootKey({ gun, now });
    b.root = createRoot({
      keys: { root: [b.rootKey.publicKey], targets: [b.targetsKey.publicKey], snapshot: [b.snapshotKey.publicKey], timestamp: [b.timestampKey.publicKey] },
      now,
    });
    b.rootSigners = [b.rootKey];
    let targets = createTargets('targets', now);
    for (const name of signers) {
      const k = generateKey('ecdsa');
      b.signers.set(name, k);
      targets = addDelegation(targets, `targets/${name}`, { keys: [k.publicKey], paths: [''] });
      targets = addDelegation(targets, 'targets/releases', { keys: [k.publicKey], paths: [''] });
    }
    b.roles.set('targets', targets);
    return b;
  }

  /** Adds a tag to targets/releases and targets/<signer> (or to targets when signer is 'targets'). */
  sign(tag: string, content: string, signer = 'alice'): string {
    const sha = sha256(content);
    const t = dockerTarget(sha, content.length);
    const roles = signer === 'targets' ? ['targets'] : ['targets/releases', `targets/${signer}`];
    for (const role of roles) {
      const cur = this.roles.get(role);
      const base = cur === undefined ? createTargets(role, this.now) : cur.signatures.length > 0 ? newVersion(cur, this.now) : cur;
      this.roles.set(role, addTargets(base, { [tag]: t }));
    }
    return toHex(sha);
  }

  /** Replaces the root keys (rotation): the new root is signed by the old and the new key. */
  async rotateRoot(): Promise<void> {
    const old = this.rootKey;
    this.rootKey = await generateRootKey({ gun: this.gun, now: this.now });
    this.root = newVersion(setRootRoleKeys(this.root, 'root', [this.rootKey.publicKey]), this.now);
    this.rootSigners = [old, this.rootKey];
  }

  signerKey(role: string): PrivateKey {
    if (role === 'targets') return this.targetsKey;
    const k = this.signers.get(role === 'targets/releases' ? [...this.signers.keys()][0] as string : role.replace(/^targets\//, ''));
    if (k === undefined) throw new Error(`no key for ${role}`);
    return k;
  }

  /** Signs every role (new versions of what changed are the caller's business) and serves them. */
  async publish(fake: FakeNotary, opts: { expires?: Partial<Record<string, Date>>; bump?: boolean; encode?: (bytes: Uint8Array) => Uint8Array } = {}): Promise<void> {
    const exp = (role: string): Date | undefined => opts.expires?.[role];
    this.root = await signMetadata(this.root, this.rootSigners);
    fake.put(this.root);
    const files = new Map<string, Uint8Array>([['root', this.root.bytes()]]);
    for (const [role, md0] of this.roles) {
      let md = md0;
      const e = exp(role);
      if (e !== undefined) md = newVersion(md, this.now, e);
      const signed = await signMetadata(md, [this.signerKey(role).signer()]);
      this.roles.set(role, signed);
      // `encode`: the same signed document written another way (signatures cover the canonical form)
      const bytes = opts.encode ? opts.encode(signed.bytes()) : signed.bytes();
      fake.put(signed, { bytes });
      files.set(role, bytes);
    }
    this.snapshot = await signMetadata(createSnapshot(files, { now: this.now, ...(exp('snapshot') ? { expires: exp('snapshot') as Date } : {}), ...(this.snapshot ? { previous: this.snapshot } : {}) }), [this.snapshotKey.signer()]);
    fake.put(this.snapshot);
    this.timestamp = await signMetadata(createTimestamp(this.snapshot.bytes(), { now: this.now, ...(exp('timestamp') ? { expires: exp('timestamp') as Date } : {}), ...(this.timestamp ? { previous: this.timestamp } : {}) }), [this.timestampKey.signer()]);
    fake.put(this.timestamp);
  }

  /** Bumps a targets role to a new version (so that publish() signs a changed file). */
  touch(role: string): void {
    const md = this.roles.get(role);
    if (md !== undefined) this.roles.set(role, newVersion(md, this.now));
  }

  static readonly DAY = DAY;
}
