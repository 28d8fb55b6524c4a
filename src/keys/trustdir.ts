// The client trust directory shared with docker and notary (notary trustmanager/keystore.go):
//   private/<canonicalKeyID>.key                 keys, flat, 0600 in 0700 dirs
//   private/root_keys/<id>_root.key              legacy (≤ 0.3), read only
//   private/tuf_keys/<gun>/<id>_<role>.key       legacy (≤ 0.3), read only
//   tuf/<gun>/metadata/<role>.json               metadata cache
//   tuf/<gun>/changelist/                        staged changes
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { VouchError } from '../core/index.js';
import { generateKey, type PrivateKey } from './key.js';
import type * as KeyFile from './keyfile.js';
import { withPassphrase, type PassphraseSource } from './passphrase.js';
import type * as PubFile from './pubfile.js';
import { roleHasGun } from './roles.js';
import { ensurePrivateDir, readFileIfExists, writePrivateFile, FILE_MODE } from './fsutil.js';

/** The key file code (PKCS#8, DER) is loaded when a key is read or written, not for metadata. */
const keyFiles = (): Promise<typeof KeyFile> => import('./keyfile.js');

export interface Env {
  readonly [name: string]: string | undefined;
}

/** docker: $DOCKER_CONFIG/trust, else ~/.docker/trust. */
export function dockerTrustDir(env: Env, home: string = env.HOME ?? homedir()): string {
  const config = env.DOCKER_CONFIG;
  return config ? join(config, 'trust') : join(home, '.docker', 'trust');
}

/** notary CLI: ~/.notary (its -d flag overrides it). */
export function notaryTrustDir(env: Env, home: string = env.HOME ?? homedir()): string {
  return join(home, '.notary');
}

export interface KeyInfo {
  /** Canonical key ID (the file name). */
  keyId: string;
  role: string;
  /** Only targets/snapshot/timestamp keys have one. */
  gun: string | undefined;
  path: string;
  encrypted: boolean;
  /** From private/root_keys or private/tuf_keys (notary ≤ 0.3). */
  legacy: boolean;
}

export interface StoredKey {
  key: PrivateKey;
  info: KeyInfo;
}

/** docker's rule for `trust key generate/load` names. */
export const KEY_NAME = /^[a-z0-9][a-z0-9_-]*$/;

const KEY_ID = /^[0-9a-f]{64}$/;
const KEY_EXT = '.key';

/** Checks a GUN before it becomes a path: no NUL, not absolute, no `.`/`..`/empty segments. */
export function checkGun(gun: string): string {
  checkRelativePath(gun, 'GUN');
  return gun;
}

function checkRelativePath(p: string, what: string): void {
  if (typeof p !== 'string' || p === '') throw new VouchError('INVALID_ARGUMENT', `${what} must not be empty`);
  if (p.includes('\0')) throw new VouchError('INVALID_ARGUMENT', `${what} must not contain NUL`);
  if (isAbsolute(p) || p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(p)) {
    throw new VouchError('INVALID_ARGUMENT', `${what} ${JSON.stringify(p)} must not be an absolute path`);
  }
  for (const seg of p.split(/[/\\]/)) {
    if (seg === '..' || seg === '.' || seg === '') {
      throw new VouchError('INVALID_ARGUMENT', `${what} ${JSON.stringify(p)} has an empty, "." or ".." path segment`);
    }
  }
}

export interface TrustDirOptions {
  /** Passphrases for encrypting and decrypting key files. */
  passphrases?: PassphraseSource;
}

export class TrustDir {
  readonly root: string;
  private readonly passphrases: PassphraseSource | undefined;

  constructor(root: string, opts: TrustDirOptions = {}) {
    this.root = resolve(root);
    this.passphrases = opts.passphrases;
  }

  get privateDir(): string {
    return join(this.root, 'private');
  }

  get tufDir(): string {
    return join(this.root, 'tuf');
  }

  keyPath(keyId: string): string {
    if (!KEY_ID.test(keyId)) throw new VouchError('INVALID_ARGUMENT', `invalid key ID ${JSON.stringify(keyId)} (64 lowercase hex digits expected)`);
    return join(this.privateDir, keyId + KEY_EXT);
  }

  private source(override?: PassphraseSource): PassphraseSource {
    const s = override ?? this.passphrases;
    if (s === undefined) throw new VouchError('NO_PASSPHRASE', 'no passphrase source was configured for the trust directory');
    return s;
  }

  /** Every key in the store, flat layout first; unreadable or non-key files are skipped (as notary does). */
  async listKeys(): Promise<KeyInfo[]> {
    const out = new Map<string, KeyInfo>();
    for (const name of await listDir(this.privateDir)) {
      if (!name.endsWith(KEY_EXT)) continue;
      const info = await this.infoFromFile(join(this.privateDir, name), name.slice(0, -KEY_EXT.length), false);
      if (info && !out.has(info.keyId)) out.set(info.keyId, info);
    }
    for (const info of await this.listLegacy()) if (!out.has(info.keyId)) out.set(info.keyId, info);
    return [...out.values()].sort((a, b) => (a.role === b.role ? a.keyId.localeCompare(b.keyId) : a.role.localeCompare(b.role)));
  }

  private async listLegacy(): Promise<KeyInfo[]> {
    const out: KeyInfo[] = [];
    const rootKeys = join(this.privateDir, 'root_keys');
    for (const name of await listDir(rootKeys)) {
      if (!name.endsWith(KEY_EXT)) continue;
      const { id, role } = splitLegacyName(name.slice(0, -KEY_EXT.length));
      const info = await this.infoFromFile(join(rootKeys, name), id, true, role ?? 'root');
      if (info) out.push(info);
    }
    const tufKeys = join(this.privateDir, 'tuf_keys');
    for (const file of await walk(tufKeys)) {
      if (!file.endsWith(KEY_EXT)) continue;
      const rel = relative(tufKeys, file).split(sep);
      const base = rel.pop() as string;
      const { id, role } = splitLegacyName(base.slice(0, -KEY_EXT.length));
      // The directory names the GUN; the file name suffix the role (notary's 0.4 migration rules).
      const info = await this.infoFromFile(file, id, true, role, rel.length > 0 ? rel.join('/') : undefined);
      if (info) out.push(info);
    }
    return out;
  }

  private async infoFromFile(path: string, keyId: string, legacy: boolean, role?: string, gun?: string): Promise<KeyInfo | undefined> {
    let attrs;
    try {
      attrs = (await keyFiles()).keyFileAttributes(await readFile(path));
    } catch {
      return undefined;
    }
    const r = role ?? attrs.role ?? '';
    const g = gun ?? attrs.gun;
    return { keyId, role: r, gun: roleHasGun(r) ? g : undefined, path, encrypted: attrs.encrypted, legacy };
  }

  async getKeyInfo(keyId: string): Promise<KeyInfo> {
    const info = (await this.listKeys()).find((k) => k.keyId === keyId);
    if (info === undefined) throw new VouchError('KEY_NOT_FOUND', `no private key with ID ${keyId} in ${this.privateDir}`, { details: { keyId } });
    return info;
  }

  /** Keys for a role (and GUN for targets/snapshot/timestamp). */
  async findKeys(role: string, gun?: string): Promise<KeyInfo[]> {
    return (await this.listKeys()).filter((k) => k.role === role && (!roleHasGun(role) || gun === undefined || k.gun === gun));
  }

  /** Decrypts one key. The file's key must have the ID it is named by. */
  async loadKey(keyId: string, passphrases?: PassphraseSource): Promise<StoredKey> {
    const info = await this.getKeyInfo(keyId);
    const text = await readFile(info.path);
    const key = info.encrypted
      ? await (await keyFiles()).readPrivateKeyFile(text, { passphrases: this.source(passphrases), keyId, alias: info.role || undefined })
      : await (await keyFiles()).readPrivateKeyFile(text, { passphrases: this.source(passphrases), keyId });
    if (!info.legacy && key.canonicalKeyId !== keyId) {
      throw new VouchError('KEYID_MISMATCH', `key file ${info.path} holds key ${key.canonicalKeyId}, not ${keyId}`);
    }
    return { key, info };
  }

  /** The first key for a role (and GUN); KEY_NOT_FOUND when there is none. */
  async loadKeyFor(role: string, gun?: string, passphrases?: PassphraseSource): Promise<StoredKey> {
    const [first] = await this.findKeys(role, gun);
    if (first === undefined) {
      throw new VouchError('KEY_NOT_FOUND', `no private key for role ${role}${gun && roleHasGun(role) ? ` of ${gun}` : ''} in ${this.privateDir}`, {
        details: { role, gun },
      });
    }
    return this.loadKey(first.keyId, passphrases);
  }

  /**
   * Stores a key as private/<canonicalID>.key, encrypted with the passphrase for `role` (as notary's
   * AddKey: the `gun` header is kept only for targets/snapshot/timestamp).
   */
  async addKey(key: PrivateKey, opts: { role: string; gun?: string; passphrases?: PassphraseSource }): Promise<KeyInfo> {
    if (opts.role === '' || /[\r\n]/.test(opts.role)) throw new VouchError('INVALID_ARGUMENT', 'a key role must be a non-empty single line');
    const gun = roleHasGun(opts.role) ? opts.gun : undefined;
    if (roleHasGun(opts.role) && !gun) throw new VouchError('INVALID_ARGUMENT', `a ${opts.role} key needs a GUN`);
    if (gun !== undefined) checkGun(gun);
    const keyId = key.canonicalKeyId;
    const { encodePrivateKeyFile } = await keyFiles();
    const text = await withPassphrase(this.source(opts.passphrases), { role: opts.role, keyId, createNew: true }, (p) =>
      encodePrivateKeyFile(key, { role: opts.role, passphrase: p, ...(gun ? { gun } : {}) }));
    const path = this.keyPath(keyId);
    await ensurePrivateDir(this.privateDir);
    await writePrivateFile(path, text, FILE_MODE);
    return { keyId, role: opts.role, gun, path, encrypted: true, legacy: false };
  }

  /** Deletes a key (flat and legacy copies). KEY_NOT_FOUND when there was none. */
  async removeKey(keyId: string): Promise<void> {
    const paths = new Set<string>();
    try {
      paths.add((await this.getKeyInfo(keyId)).path);
    } catch {
      /* maybe only legacy copies below */
    }
    for (const info of await this.listLegacy()) if (info.keyId === keyId) paths.add(info.path);
    if (paths.size === 0) throw new VouchError('KEY_NOT_FOUND', `no private key with ID ${keyId} in ${this.privateDir}`);
    for (const p of paths) await unlink(p);
  }

  /**
   * `docker trust key load FILE --name NAME`: refuses a file readable or writable by group/others,
   * decrypts an encrypted key (passphrase alias `encrypted`), re-encrypts it and stores it with
   * `role: NAME`.
   */
  async importKey(file: string, opts: { name?: string; passphrases?: PassphraseSource } = {}): Promise<StoredKey> {
    const name = opts.name ?? 'signer';
    if (!KEY_NAME.test(name)) {
      throw new VouchError('INVALID_ARGUMENT', `key name "${name}" must start with lowercase alphanumeric characters and can include "-" or "_" after the first character`);
    }
    let st;
    try {
      st = await stat(file);
    } catch (err) {
      throw new VouchError('FILE_NOT_FOUND', `cannot read key file ${file}: ${(err as Error).message}`, { cause: err });
    }
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new VouchError('INSECURE_PERMISSIONS', `refusing to load key from ${file}: private key file must not be readable or writable by others (mode ${(st.mode & 0o777).toString(8)})`, {
        hint: `chmod 600 ${file}`,
      });
    }
    const text = await readFile(file);
    const { keyFileAttributes } = await keyFiles();
    try {
      keyFileAttributes(text);
    } catch (err) {
      throw new VouchError('INVALID_KEY', `provided file ${file} is not a supported private key - to add a signer's public key use docker trust signer add`, { cause: err });
    }
    const source = this.source(opts.passphrases);
    const key = await (await keyFiles()).readPrivateKeyFile(text, { passphrases: source, alias: 'encrypted' });
    const info = await this.addKey(key.withoutCertificate(), { role: name, passphrases: source });
    return { key, info };
  }

  /**
   * `docker trust key generate NAME --dir DIR`: a new ECDSA key stored with `role: NAME`, and
   * DIR/NAME.pub. Refuses to overwrite an existing NAME.pub.
   */
  async generateNamedKey(name: string, pubDir: string, passphrases?: PassphraseSource): Promise<{ key: PrivateKey; info: KeyInfo; publicKeyPath: string }> {
    if (!KEY_NAME.test(name)) {
      throw new VouchError('INVALID_ARGUMENT', `key name "${name}" must start with lowercase alphanumeric characters and can include "-" or "_" after the first character`);
    }
    try {
      if (!(await stat(pubDir)).isDirectory()) throw new Error('not a directory');
    } catch {
      throw new VouchError('FILE_NOT_FOUND', `public key path does not exist: "${pubDir}"`);
    }
    const publicKeyPath = join(pubDir, `${name}.pub`);
    if ((await readFileIfExists(publicKeyPath)) !== undefined) {
      throw new VouchError('CONFLICT', `public key file already exists: "${publicKeyPath}"`);
    }
    const key = generateKey('ecdsa');
    const info = await this.addKey(key, { role: name, ...(passphrases ? { passphrases } : {}) });
    await writePrivateFile(publicKeyPath, (await import('./pubfile.js') as typeof PubFile).encodePublicKeyFile(key, name), FILE_MODE);
    return { key, info, publicKeyPath };
  }

  // --- metadata cache -------------------------------------------------------------------------

  /** tuf/<gun>/metadata */
  metadataDir(gun: string): string {
    return this.inside(join(this.tufDir, ...checkGun(gun).split('/'), 'metadata'));
  }

  /** tuf/<gun>/changelist */
  changelistDir(gun: string): string {
    return this.inside(join(this.tufDir, ...checkGun(gun).split('/'), 'changelist'));
  }

  /** tuf/<gun>/metadata/<role>.json; delegation roles nest (targets/releases → targets/releases.json). */
  metadataPath(gun: string, role: string): string {
    checkRelativePath(role, 'role');
    return this.inside(join(this.metadataDir(gun), ...role.split('/')) + '.json');
  }

  async readMetadata(gun: string, role: string, maxBytes?: number): Promise<Buffer | undefined> {
    return readFileIfExists(this.metadataPath(gun, role), maxBytes);
  }

  async writeMetadata(gun: string, role: string, bytes: Uint8Array | string): Promise<void> {
    await writePrivateFile(this.metadataPath(gun, role), bytes, FILE_MODE);
  }

  async removeMetadata(gun: string, role: string): Promise<void> {
    await unlink(this.metadataPath(gun, role)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw new VouchError('STORAGE', `cannot remove ${role} metadata: ${err.message}`, { cause: err });
    });
  }

  private inside(p: string): string {
    const rel = relative(this.tufDir, p);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new VouchError('INVALID_ARGUMENT', `path ${p} escapes the trust directory`);
    return p;
  }
}

function splitLegacyName(base: string): { id: string; role: string | undefined } {
  const i = base.indexOf('_');
  return i < 0 ? { id: base, role: undefined } : { id: base.slice(0, i), role: base.slice(i + 1) };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new VouchError('STORAGE', `cannot list ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

async function walk(dir: string, depth = 0): Promise<string[]> {
  if (depth > 16) return [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new VouchError('STORAGE', `cannot list ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p, depth + 1)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}
