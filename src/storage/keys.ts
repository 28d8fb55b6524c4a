// Server-held keys (timestamp, snapshot), encrypted at rest. Each private key (PKCS#8 DER) is sealed
// with AES-256-GCM under a key derived by scrypt from the configured secret and a per-key random salt.
// The key ID, GUN, role and algorithm are the GCM additional data, so a row copied onto another key's
// row (or edited) fails to open; after opening, the private key must also match the stored key ID.
// Adapters only store rows; everything cryptographic is here, shared by all of them.
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scrypt, type KeyObject } from 'node:crypto';
import { VouchError, signBytes, type PublicKeyData } from '../core/index.js';
import { keyId as tufKeyId } from '../tuf/keyid.js';
import type { Signer } from '../tuf/signer.js';
import { checkGun } from './common.js';
import type { ServerKeyAlgorithm, ServerKeyRecord, ServerKeyRole, ServerKeyStore } from './types.js';

/** One stored key as adapters keep it. `sealed` is the encrypted private key (format below). */
export interface KeyRow {
  keyId: string;
  gun: string;
  role: ServerKeyRole;
  algorithm: ServerKeyAlgorithm;
  publicKey: Buffer;
  sealed: Buffer;
  createdAt: Date;
}

/** What an adapter provides: plain row storage. */
export interface KeyRows {
  insert(row: KeyRow): Promise<void>;
  /** oldest first */
  list(gun: string, role: ServerKeyRole): Promise<KeyRow[]>;
  get(keyId: string): Promise<KeyRow | undefined>;
  /** The most recently stored row, if any. */
  newest(): Promise<KeyRow | undefined>;
}

// sealed = FORMAT(1) ‖ salt(16) ‖ iv(12) ‖ tag(16) ‖ ciphertext
const FORMAT = 1;
const SALT_LEN = 16;
const IV_LEN = 12;
const TAG_LEN = 16;
// scrypt cost: ~50 ms per key on a laptop; results are cached per sealed row, so signing pays it once.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

const ROLES: readonly ServerKeyRole[] = ['timestamp', 'snapshot'];
const ALGORITHMS: readonly ServerKeyAlgorithm[] = ['ecdsa', 'ed25519'];

function deriveKey(secret: Buffer, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function aad(row: Pick<KeyRow, 'keyId' | 'gun' | 'role' | 'algorithm'>): Buffer {
  return Buffer.from(JSON.stringify(['vouch-server-key', FORMAT, row.keyId, row.gun, row.role, row.algorithm]), 'utf8');
}

/** TUF public key data for a node key: ecdsa = DER SPKI, ed25519 = raw 32 bytes. */
function tufPublicKey(algorithm: ServerKeyAlgorithm, key: KeyObject): PublicKeyData {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (algorithm === 'ed25519') {
    const jwk = pub.export({ format: 'jwk' });
    return { keytype: 'ed25519', public: Buffer.from(String(jwk.x), 'base64url') };
  }
  return { keytype: 'ecdsa', public: pub.export({ format: 'der', type: 'spki' }) };
}

function toRecord(row: KeyRow): ServerKeyRecord {
  return {
    keyId: row.keyId,
    gun: row.gun,
    role: row.role,
    algorithm: row.algorithm,
    publicKey: { keytype: row.algorithm, public: Buffer.from(row.publicKey) },
    createdAt: new Date(row.createdAt.getTime()),
  };
}

export function checkKeyRole(role: string): asserts role is ServerKeyRole {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new VouchError('INVALID_ARGUMENT', `the server holds keys only for timestamp and snapshot, not ${JSON.stringify(role)}`);
  }
}

export function checkKeyAlgorithm(algorithm: string): asserts algorithm is ServerKeyAlgorithm {
  if (!(ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new VouchError('UNSUPPORTED_KEY_TYPE', `server keys are ecdsa or ed25519, not ${JSON.stringify(algorithm)}`);
  }
}

export interface KeyStoreOptions {
  secret?: string | Buffer;
  defaultAlgorithm?: ServerKeyAlgorithm;
  now?: () => Date;
}

export class EncryptedKeyStore implements ServerKeyStore {
  private readonly secret: Buffer | undefined;
  private readonly defaultAlgorithm: ServerKeyAlgorithm;
  private readonly now: () => Date;
  // Opened keys, keyed by the sealed bytes they came from (a changed row is opened and checked again).
  private readonly opened = new Map<string, KeyObject>();
  // Keys being opened now, by the same cache key: concurrent first uses derive once.
  private readonly opening = new Map<string, Promise<KeyObject>>();

  constructor(private readonly rows: KeyRows, opts: KeyStoreOptions = {}) {
    if (opts.secret !== undefined && (opts.secret.length === 0)) {
      throw new VouchError('CONFIG', 'the server key secret is empty');
    }
    this.secret = opts.secret === undefined ? undefined : Buffer.from(opts.secret);
    this.defaultAlgorithm = opts.defaultAlgorithm ?? 'ecdsa';
    checkKeyAlgorithm(this.defaultAlgorithm);
    this.now = opts.now ?? (() => new Date());
  }

  private needSecret(): Buffer {
    if (!this.secret) {
      throw new VouchError('CONFIG', 'no secret is configured for server-held keys', {
        hint: 'set the storage key secret in the server configuration',
      });
    }
    return this.secret;
  }

  async createKey(gun: string, role: ServerKeyRole, algorithm: ServerKeyAlgorithm = this.defaultAlgorithm): Promise<ServerKeyRecord> {
    checkGun(gun);
    checkKeyRole(role);
    checkKeyAlgorithm(algorithm);
    const secret = this.needSecret();
    const { privateKey } = algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicKey = tufPublicKey(algorithm, privateKey);
    const keyId = tufKeyId(publicKey);
    const salt = randomBytes(SALT_LEN);
    const iv = randomBytes(IV_LEN);
    const row0 = { keyId, gun, role, algorithm };
    const cipher = createCipheriv('aes-256-gcm', await deriveKey(secret, salt), iv);
    cipher.setAAD(aad(row0));
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const ciphertext = Buffer.concat([cipher.update(der), cipher.final()]);
    der.fill(0);
    const sealed = Buffer.concat([Buffer.from([FORMAT]), salt, iv, cipher.getAuthTag(), ciphertext]);
    const row: KeyRow = { ...row0, publicKey: Buffer.from(publicKey.public), sealed, createdAt: this.now() };
    await this.rows.insert(row);
    this.opened.set(sealed.toString('base64'), privateKey);
    return toRecord(row);
  }

  async listKeys(gun: string, role: ServerKeyRole): Promise<ServerKeyRecord[]> {
    return (await this.rows.list(gun, role)).map(toRecord);
  }

  async getKey(keyId: string): Promise<ServerKeyRecord | undefined> {
    const row = await this.rows.get(keyId);
    return row && toRecord(row);
  }

  private async open(keyId: string): Promise<{ row: KeyRow; key: KeyObject } | undefined> {
    const row = await this.rows.get(keyId);
    if (!row) return undefined;
    const cacheKey = row.sealed.toString('base64');
    const cached = this.opened.get(cacheKey);
    if (cached) return { row, key: cached };
    let pending = this.opening.get(cacheKey);
    if (pending === undefined) {
      pending = this.unseal(keyId, row);
      this.opening.set(cacheKey, pending);
      const done = (): void => { this.opening.delete(cacheKey); };
      pending.then(done, done);
    }
    return { row, key: await pending };
  }

  /** Decrypts and checks one row's private key; caches it on success. */
  private async unseal(keyId: string, row: KeyRow): Promise<KeyObject> {
    const cacheKey = row.sealed.toString('base64');
    const secret = this.needSecret();
    const s = row.sealed;
    const bad = (why: string, cause?: unknown) => new VouchError('BAD_PASSPHRASE', `cannot open server key ${keyId}: ${why}`, {
      hint: 'check that the server uses the key secret it was configured with when the key was created',
      details: { keyId, gun: row.gun, role: row.role },
      cause,
    });
    if (s.length <= 1 + SALT_LEN + IV_LEN + TAG_LEN || s[0] !== FORMAT) throw bad('unknown or damaged format');
    const salt = s.subarray(1, 1 + SALT_LEN);
    const iv = s.subarray(1 + SALT_LEN, 1 + SALT_LEN + IV_LEN);
    const tag = s.subarray(1 + SALT_LEN + IV_LEN, 1 + SALT_LEN + IV_LEN + TAG_LEN);
    const ciphertext = s.subarray(1 + SALT_LEN + IV_LEN + TAG_LEN);
    let der: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', await deriveKey(secret, salt), iv);
      decipher.setAAD(aad(row));
      decipher.setAuthTag(tag);
      der = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (err) {
      // GCM cannot tell a wrong secret from an altered row; say both.
      throw bad('wrong key secret, or the stored key was altered or moved', err);
    }
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    } catch (err) {
      throw bad('the decrypted key does not parse', err);
    } finally {
      der.fill(0);
    }
    const expected = row.algorithm === 'ed25519' ? 'ed25519' : 'ec';
    if (key.asymmetricKeyType !== expected || tufKeyId(tufPublicKey(row.algorithm, key)) !== row.keyId) {
      throw bad('the private key does not belong to this key ID');
    }
    this.opened.set(cacheKey, key);
    return key;
  }

  async checkSecret(): Promise<void> {
    const row = await this.rows.newest();
    if (row) await this.open(row.keyId);
  }

  async privateKey(keyId: string): Promise<Buffer | undefined> {
    const opened = await this.open(keyId);
    return opened && opened.key.export({ format: 'der', type: 'pkcs8' });
  }

  async signer(keyId: string): Promise<Signer | undefined> {
    const opened = await this.open(keyId);
    if (!opened) return undefined;
    const { row, key } = opened;
    const publicKey: PublicKeyData = { keytype: row.algorithm, public: Buffer.from(row.publicKey) };
    return { keyId: row.keyId, publicKey, sign: (data: Uint8Array) => signBytes(key, data) };
  }
}
