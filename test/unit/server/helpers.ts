// Shared helpers for the server tests: a server on the memory store with a movable clock, a
// multipart builder, and a small notary-like client that makes and signs real metadata.
import { fromBase64, type PublicKeyData } from '../../../src/core/index.js';
import { generateKey, generateRootKey, type PrivateKey } from '../../../src/keys/index.js';
import { createServer, type ServerOptions } from '../../../src/server/index.js';
import { openMemoryStore, type MemoryStore } from '../../../src/storage/index.js';
import {
  addDelegation, addTargets, createRoot, createSnapshot, createTargets, dockerTarget, newVersion, parseRoot, parseSnapshot, parseTargets,
  setRootRoleKeys, signMetadata, type Metadata, type Root, type Signed, type Snapshot, type Targets,
} from '../../../src/tuf/index.js';
import type { NotaryApp } from '../../../src/server/index.js';
import { inject } from '../../support/inject.js';

export const START = new Date('2026-11-25T12:00:00Z');

export class Clock {
  t: number;
  constructor(start: Date = START) { this.t = start.getTime(); }
  now = (): Date => new Date(this.t);
  advanceDays(d: number): void { this.t += d * 24 * 3600 * 1000; }
}

export interface TestServer {
  app: NotaryApp;
  store: MemoryStore;
  clock: Clock;
}

export function newServer(opts: Partial<ServerOptions> = {}, clock = new Clock()): TestServer {
  const store = (opts.store as MemoryStore | undefined) ?? openMemoryStore({ keySecret: 'test-secret', now: clock.now });
  const app = createServer({ store, keyStore: store.keys, now: clock.now, ...opts });
  return { app, store, clock };
}

export interface Part {
  filename?: string;
  name?: string;
  data: Buffer | string;
}

export function multipart(parts: Part[], boundary = 'vouchTestBoundary7MA4YWxkTrZu0gW'): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let disp = `form-data; name="${p.name ?? 'files'}"`;
    if (p.filename !== undefined) disp += `; filename="${p.filename}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disp}\r\nContent-Type: application/octet-stream\r\n\r\n`));
    chunks.push(Buffer.from(p.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function post(app: NotaryApp, gun: string, parts: Part[], headers: Record<string, string> = {}) {
  const mp = multipart(parts);
  return inject(app, { method: 'POST', url: `/v2/${gun}/_trust/tuf/`, payload: mp.body, headers: { 'content-type': mp.contentType, ...headers } });
}

export function errorOf(res: { body: string }): { code: string; message: string; detail?: unknown } {
  return (JSON.parse(res.body) as { errors: { code: string; message: string; detail?: unknown }[] }).errors[0]!;
}

export function keyFromBody(body: string): PublicKeyData {
  const j = JSON.parse(body) as { keytype: PublicKeyData['keytype']; keyval: { public: string } };
  return { keytype: j.keytype, public: fromBase64(j.keyval.public) };
}

export async function bytesOf<T extends Signed>(md: Metadata<T>, signers: PrivateKey[]): Promise<Buffer> {
  return (await signMetadata(md, signers.map((k) => k.signer()))).toBytes();
}

/**
 * A notary-like client for one GUN: root key (x509), targets key, and a snapshot key unless the
 * snapshot is server-managed. Keeps the last published documents so it can make the next versions.
 */
export class TestRepo {
  readonly gun: string;
  rootKey!: PrivateKey;
  readonly targetsKey = generateKey('ecdsa');
  snapshotKey: PrivateKey | undefined;
  root!: Metadata<Root>;
  targets!: Metadata<Targets>;
  snapshot: Metadata<Snapshot> | undefined;
  delegations = new Map<string, Metadata<Targets>>();
  files = new Map<string, Buffer>();
  private constructor(gun: string) { this.gun = gun; }

  /** Fetches the timestamp (and, if serverSnapshot, the snapshot) key and builds root v1, targets v1, snapshot v1. */
  static async create(t: TestServer, gun: string, opts: { serverSnapshot?: boolean; headers?: Record<string, string> } = {}): Promise<TestRepo> {
    const r = new TestRepo(gun);
    const now = t.clock.now();
    r.rootKey = await generateRootKey({ gun, now });
    const ts = await inject(t.app, { method: 'GET', url: `/v2/${gun}/_trust/tuf/timestamp.key`, headers: opts.headers ?? {} });
    if (ts.statusCode !== 200) throw new Error(`timestamp.key: ${ts.statusCode} ${ts.body}`);
    let snapKey: PublicKeyData;
    if (opts.serverSnapshot) {
      const s = await inject(t.app, { method: 'GET', url: `/v2/${gun}/_trust/tuf/snapshot.key`, headers: opts.headers ?? {} });
      snapKey = keyFromBody(s.body);
    } else {
      r.snapshotKey = generateKey('ecdsa');
      snapKey = r.snapshotKey.publicKey;
    }
    r.root = createRoot({ now, keys: { root: [r.rootKey.publicKey], targets: [r.targetsKey.publicKey], snapshot: [snapKey], timestamp: [keyFromBody(ts.body)] } });
    r.targets = createTargets('targets', now);
    return r;
  }

  async rootBytes(extraSigners: PrivateKey[] = []): Promise<Buffer> {
    const b = await bytesOf(this.root, [this.rootKey, ...extraSigners]);
    this.files.set('root', b);
    this.root = parseRoot(b);
    return b;
  }

  async targetsBytes(): Promise<Buffer> {
    const b = await bytesOf(this.targets, [this.targetsKey]);
    this.files.set('targets', b);
    this.targets = parseTargets(b);
    return b;
  }

  async delegationBytes(role: string, key: PrivateKey): Promise<Buffer> {
    const b = await bytesOf(this.delegations.get(role)!, [key]);
    this.files.set(role, b);
    this.delegations.set(role, parseTargets(b, role));
    return b;
  }

  /** A client-signed snapshot over the files it knows. */
  async snapshotBytes(now: Date): Promise<Buffer> {
    const files = new Map([...this.files].filter(([r]) => r !== 'snapshot' && r !== 'timestamp'));
    const md = createSnapshot(files, { now, previous: this.snapshot });
    const b = await bytesOf(md, [this.snapshotKey!]);
    this.snapshot = parseSnapshot(b);
    this.files.set('snapshot', b);
    return b;
  }

  /** `notary init -p`: targets, snapshot, root in one POST (or root + targets when server-managed). */
  async initParts(now: Date): Promise<Part[]> {
    const root = await this.rootBytes();
    const targets = await this.targetsBytes();
    if (!this.snapshotKey) return [{ filename: 'root', data: root }, { filename: 'targets', data: targets }];
    const snap = await this.snapshotBytes(now);
    return [{ filename: 'targets', data: targets }, { filename: 'snapshot', data: snap }, { filename: 'root', data: root }];
  }

  /** The next targets version with a docker-style target added. */
  addTag(tag: string, digestByte: number, now: Date): void {
    this.targets = addTargets(newVersion(this.targets, now), { [tag]: dockerTarget(Buffer.alloc(32, digestByte), 100 + digestByte) });
  }

  addDelegation(role: string, key: PrivateKey, now: Date): void {
    this.targets = addDelegation(newVersion(this.targets, now), role, { keys: [key.publicKey], paths: [''], threshold: 1 });
    this.delegations.set(role, createTargets(role, now));
  }

  /** The next root version with a role's keys replaced. */
  rotateRootRole(role: 'root' | 'targets' | 'snapshot' | 'timestamp', keys: PublicKeyData[], now: Date): void {
    this.root = setRootRoleKeys(newVersion(this.root, now), role, keys);
  }
}

export { generateKey, generateRootKey };
