// Changing notation's configuration directory as notation v1.3 does, in its layout and file modes
// (notation-go dir/path.go, config/keys.go, config/base.go; notation internal/osutil/file.go,
// cmd/notation/internal/truststore/truststore.go): signingkeys.json (0600, four-space indented
// JSON), local keys in localkeys/NAME.key (0600) and NAME.crt (0644), trust stores in
// truststore/x509/{ca,signingAuthority,tsa}/NAME/ (directories 0700, certificates 0600), the OCI
// trust policy in trustpolicy.json (0600). Every write is atomic (src/files); symlinks are refused
// where notation refuses them when reading, and nothing is written through one.
import { X509Certificate } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { VouchError, isJsonObject, parseJson } from '../core/index.js';
import { writeFileAtomic } from '../files/index.js';
import { parseCertificateFile, parseTrustPolicy, type TrustStoreType } from '../sig/index.js';

export const NOTATION_STORE_TYPES: readonly TrustStoreType[] = ['ca', 'signingAuthority', 'tsa'];
export const SIGNING_KEYS_FILE = 'signingkeys.json';
/** The OCI trust policy files, in the order they are read: newer notation's name, then notation ≤ 1.3's. */
export const TRUST_POLICY_FILES = ['trustpolicy.oci.json', 'trustpolicy.json'] as const;
/** The trust policy notation v1.3 reads and `notation policy import` writes (dir.PathTrustPolicy). */
export const TRUST_POLICY_FILE = 'trustpolicy.json';
const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_CERT_FILE_BYTES = 1024 * 1024;
/** At most this many files are looked at in one trust store directory when listing. */
const MAX_LISTED_FILES = 1000;

/**
 * notation's name rule for named stores, certificate common names and key names
 * (truststore.IsValidFileName: `[a-zA-Z0-9_.-]+`), without `.` and `..`, which that pattern
 * lets through and which would name the parent directory.
 */
export function isValidNotationName(name: string): boolean {
  return /^[a-zA-Z0-9_.-]+$/.test(name) && name !== '.' && name !== '..';
}

export function checkStoreType(type: string | undefined): TrustStoreType {
  if (!type) throw new VouchError('INVALID_ARGUMENT', 'store type cannot be empty');
  if (!(NOTATION_STORE_TYPES as readonly string[]).includes(type)) throw new VouchError('INVALID_ARGUMENT', `unsupported store type: ${type}`, { hint: 'options: ca, signingAuthority, tsa' });
  return type as TrustStoreType;
}

export function checkStoreName(name: string | undefined): string {
  if (name === undefined || !isValidNotationName(name)) throw new VouchError('INVALID_ARGUMENT', 'named store name needs to follow [a-zA-Z0-9_.-]+ format');
  return name;
}

type Stat = Awaited<ReturnType<typeof lstat>>;
async function lstatOrUndefined(path: string): Promise<Stat | undefined> {
  try { return await lstat(path); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VouchError('STORAGE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

const notRegularDir = (path: string): VouchError =>
  new VouchError('CONFIG', `${path} is not a regular directory (symlinks are not supported)`, { hint: 'replace the link with a directory; notation refuses linked trust stores too' });
const notRegularFile = (path: string): VouchError =>
  new VouchError('CONFIG', `"${path}" is not a regular file (symlinks are not supported)`, { hint: 'replace the link with a copy of the file' });

/** Creates `configDir/parts…` one level at a time (0700, as notation), refusing a symlink or a file on the way. */
async function ensureDir(configDir: string, ...parts: string[]): Promise<string> {
  let path = configDir;
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  for (const part of parts) {
    path = join(path, part);
    let st = await lstatOrUndefined(path);
    if (st === undefined) {
      try { await mkdir(path, { mode: 0o700 }); } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new VouchError('STORAGE', `cannot create ${path}: ${(err as Error).message}`, { cause: err });
      }
      st = await lstat(path);
    }
    if (!st.isDirectory()) throw notRegularDir(path);
  }
  return path;
}

/** Bytes of a regular file (not a symlink) of at most `max` bytes, or undefined when absent. */
async function readRegularFile(path: string, max: number): Promise<Buffer | undefined> {
  const st = await lstatOrUndefined(path);
  if (st === undefined) return undefined;
  if (!st.isFile()) throw notRegularFile(path);
  if (st.size > max) throw new VouchError('TOO_LARGE', `${path} is ${st.size} bytes, over the limit of ${max}`);
  return readFile(path);
}

// ---- signingkeys.json ----

/** One key of signingkeys.json (notation-go config.KeySuite): a local key pair or a plugin key. */
export interface KeySuite {
  name: string;
  keyPath?: string;
  certPath?: string;
  id?: string;
  pluginName?: string;
  pluginConfig?: Record<string, string>;
}

export interface SigningKeys {
  default?: string;
  keys: KeySuite[];
}

const optionalString = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';

function malformed(file: string, why: string): VouchError {
  return new VouchError('CONFIG', `malformed ${SIGNING_KEYS_FILE}: ${why}`, { hint: `fix or remove ${file}` });
}

/**
 * signingkeys.json as notation-go LoadSigningKeys reads it (an absent file is an empty list), with
 * its validation: non-empty unique names, a default that names one of them.
 */
export async function loadSigningKeys(configDir: string): Promise<SigningKeys> {
  const file = join(configDir, SIGNING_KEYS_FILE);
  const bytes = await readRegularFile(file, MAX_CONFIG_BYTES);
  if (bytes === undefined) return { keys: [] };
  const doc = parseJson(bytes, { what: file });
  if (!isJsonObject(doc) || !optionalString(doc.default) || (doc.keys !== undefined && doc.keys !== null && !Array.isArray(doc.keys))) {
    throw malformed(file, 'not notation\'s signing key list ({"default": NAME, "keys": [...]})');
  }
  const keys: KeySuite[] = [];
  const seen = new Set<string>();
  for (const k of (doc.keys ?? []) as unknown[]) {
    if (!isJsonObject(k) || typeof k.name !== 'string' || ![k.keyPath, k.certPath, k.id, k.pluginName].every(optionalString)) throw malformed(file, 'a key entry is not {"name", "keyPath", "certPath"} or {"name", "id", "pluginName"}');
    if (k.name === '') throw malformed(file, 'key name cannot be empty');
    if (seen.has(k.name)) throw malformed(file, `multiple keys with name '${k.name}' found`);
    seen.add(k.name);
    const suite: KeySuite = { name: k.name };
    for (const f of ['keyPath', 'certPath', 'id', 'pluginName'] as const) if (typeof k[f] === 'string' && k[f] !== '') suite[f] = k[f] as string;
    if (k.pluginConfig !== undefined && k.pluginConfig !== null) {
      if (!isJsonObject(k.pluginConfig) || !Object.values(k.pluginConfig).every((v) => typeof v === 'string')) throw malformed(file, `pluginConfig of key '${k.name}' is not a map of strings`);
      if (Object.keys(k.pluginConfig).length > 0) suite.pluginConfig = k.pluginConfig as Record<string, string>;
    }
    keys.push(suite);
  }
  const out: SigningKeys = { keys };
  if (typeof doc.default === 'string') {
    if (doc.default === '') throw malformed(file, 'default key name cannot be empty');
    if (!seen.has(doc.default)) throw malformed(file, `default key '${doc.default}' not found`);
    out.default = doc.default;
  }
  return out;
}

/** Writes signingkeys.json as notation-go config.save does: 0600, four-space indent, Go's field order. */
export async function saveSigningKeys(configDir: string, keys: SigningKeys): Promise<void> {
  await ensureDir(configDir);
  const file = join(configDir, SIGNING_KEYS_FILE);
  const st = await lstatOrUndefined(file);
  if (st !== undefined && !st.isFile()) throw notRegularFile(file);
  const doc = {
    ...(keys.default !== undefined ? { default: keys.default } : {}),
    keys: keys.keys.map((k) => ({
      name: k.name,
      ...(k.keyPath ? { keyPath: k.keyPath } : {}),
      ...(k.certPath ? { certPath: k.certPath } : {}),
      ...(k.id ? { id: k.id } : {}),
      ...(k.pluginName ? { pluginName: k.pluginName } : {}),
      ...(k.pluginConfig && Object.keys(k.pluginConfig).length > 0 ? { pluginConfig: k.pluginConfig } : {}),
    })),
  };
  await writeFileAtomic(file, `${JSON.stringify(doc, null, 4)}\n`, { mode: 0o600, dirMode: 0o700 });
}

/** notation-go SigningKeys.add: a new name, optionally the default. */
export function addKeySuite(keys: SigningKeys, suite: KeySuite, markDefault: boolean): SigningKeys {
  if (suite.name === '') throw new VouchError('INVALID_ARGUMENT', 'key name cannot be empty');
  if (keys.keys.some((k) => k.name === suite.name)) throw new VouchError('CONFLICT', `signing key with name "${suite.name}" already exists`);
  return { ...(markDefault ? { default: suite.name } : keys.default !== undefined ? { default: keys.default } : {}), keys: [...keys.keys, suite] };
}

/** notation-go SigningKeys.Remove: every name must exist; removing the default unsets it. */
export function removeKeySuites(keys: SigningKeys, names: readonly string[]): SigningKeys {
  let out = keys;
  for (const name of names) {
    if (name === '') throw new VouchError('INVALID_ARGUMENT', 'key name cannot be empty');
    if (!out.keys.some((k) => k.name === name)) throw new VouchError('KEY_NOT_FOUND', `signing key ${name} not found`);
    out = { ...(out.default !== undefined && out.default !== name ? { default: out.default } : {}), keys: out.keys.filter((k) => k.name !== name) };
  }
  return out;
}

/** notation-go SigningKeys.UpdateDefault. */
export function setDefaultKey(keys: SigningKeys, name: string): SigningKeys {
  if (name === '') throw new VouchError('INVALID_ARGUMENT', 'key name cannot be empty');
  if (!keys.keys.some((k) => k.name === name)) throw new VouchError('KEY_NOT_FOUND', `signing key ${name} not found`);
  return { default: name, keys: keys.keys };
}

// ---- local keys (cert generate-test) ----

/** localkeys/NAME.key and localkeys/NAME.crt (dir.LocalKeyPath), absolute. */
export function localKeyPaths(configDir: string, name: string): { keyPath: string; certPath: string } {
  return { keyPath: join(configDir, 'localkeys', `${name}.key`), certPath: join(configDir, 'localkeys', `${name}.crt`) };
}

/** Writes a new key (0600) and certificate (0644) under localkeys/, refusing to replace either (as notation's O_EXCL). */
export async function writeLocalKeyPair(configDir: string, name: string, keyPem: string, certPem: string): Promise<{ keyPath: string; certPath: string }> {
  const paths = localKeyPaths(configDir, name);
  await ensureDir(configDir, 'localkeys');
  for (const p of [paths.keyPath, paths.certPath]) {
    if (await lstatOrUndefined(p) !== undefined) throw new VouchError('CONFLICT', `${p} already exists`, { hint: `choose another name, or remove the old key with 'vouch notation key delete ${name}' and the files` });
  }
  const exclusive = async (path: string, data: string, mode: number, what: string): Promise<void> => {
    try { await writeFileAtomic(path, data, { mode, exclusive: true }); } catch (err) {
      throw new VouchError((err as NodeJS.ErrnoException).code === 'EEXIST' ? 'CONFLICT' : 'STORAGE', `failed to write ${what} file: ${(err as Error).message}`, { cause: err });
    }
  };
  await exclusive(paths.keyPath, keyPem, 0o600, 'key');
  try {
    await exclusive(paths.certPath, certPem, 0o644, 'certificate');
  } catch (err) {
    await rm(paths.keyPath, { force: true });
    throw err;
  }
  return paths;
}

// ---- trust stores ----

export function trustStoreDir(configDir: string, type: TrustStoreType, name: string): string {
  return join(configDir, 'truststore', 'x509', type, name);
}

/**
 * A certificate file's bytes and its certificates (PEM or DER, each one parsed: notation-core-go
 * x509.ReadCertificateFile), bounded. `followLinks`: a file the user names may be a link (as
 * notation's os.Stat allows); one inside a trust store may not.
 */
async function readCertificates(path: string, followLinks: boolean): Promise<{ bytes: Buffer; ders: Buffer[] }> {
  let st: Stat;
  try { st = followLinks ? await stat(path) : await lstat(path); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new VouchError('FILE_NOT_FOUND', `open ${path}: no such file or directory`);
    throw new VouchError('STORAGE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!st.isFile()) throw new VouchError('CONFIG', `${path} is not a regular file${followLinks ? '' : ' (symlinks are not supported)'}`);
  if (st.size > MAX_CERT_FILE_BYTES) throw new VouchError('TOO_LARGE', `${path} is ${st.size} bytes, over the limit of ${MAX_CERT_FILE_BYTES}`);
  const bytes = await readFile(path);
  const ders = parseCertificateFile(bytes, basename(path));
  for (const [i, der] of ders.entries()) {
    try { new X509Certificate(der); } catch (err) {
      throw new VouchError('INVALID_CERTIFICATE', `${basename(path)}: certificate #${i + 1} does not parse: ${(err as Error).message}`, { cause: err });
    }
  }
  return { bytes, ders };
}

/**
 * notation's truststore.AddCert: the file must hold certificates; its bytes are copied under its
 * own name into truststore/x509/TYPE/STORE/ (0600), never over an existing one.
 */
export async function addTrustStoreCertificate(configDir: string, type: TrustStoreType, store: string, source: string): Promise<string> {
  checkStoreName(store);
  const { bytes, ders } = await readCertificates(source, true);
  if (ders.length === 0) throw new VouchError('INVALID_CERTIFICATE', 'no valid certificate found in the file');
  const dir = await ensureDir(configDir, 'truststore', 'x509', type, store);
  const target = join(dir, basename(source));
  if (await lstatOrUndefined(target) !== undefined) throw new VouchError('CONFLICT', 'certificate already exists in the Trust Store');
  try {
    await writeFileAtomic(target, bytes, { mode: 0o600, exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new VouchError('CONFLICT', 'certificate already exists in the Trust Store');
    throw err;
  }
  return target;
}

export interface ListedCertificate { type: TrustStoreType; store: string; file: string; path: string }

/** Regular files holding certificates in one store directory (symlinks and subdirectories are passed over, as notation's walk does). */
async function listStore(configDir: string, type: TrustStoreType, store: string): Promise<ListedCertificate[]> {
  const dir = trustStoreDir(configDir, type, store);
  const st = await lstatOrUndefined(dir);
  if (st === undefined || !st.isDirectory()) return [];
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  if (entries.length > MAX_LISTED_FILES) throw new VouchError('TOO_LARGE', `${dir} holds ${entries.length} files, more than the limit of ${MAX_LISTED_FILES}`);
  const out: ListedCertificate[] = [];
  for (const file of entries) {
    const path = join(dir, file);
    if ((await readCertificates(path, false)).ders.length > 0) out.push({ type, store, file, path });
  }
  return out;
}

/** notation cert list: every store, one type, one store name, or both. */
export async function listTrustStoreCertificates(configDir: string, filter: { type?: TrustStoreType; store?: string } = {}): Promise<ListedCertificate[]> {
  const out: ListedCertificate[] = [];
  for (const type of filter.type ? [filter.type] : NOTATION_STORE_TYPES) {
    let stores: string[];
    if (filter.store !== undefined) {
      stores = [filter.store];
    } else {
      const typeDir = join(configDir, 'truststore', 'x509', type);
      const st = await lstatOrUndefined(typeDir);
      stores = st?.isDirectory() ? (await readdir(typeDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort() : [];
      if (stores.length > MAX_LISTED_FILES) throw new VouchError('TOO_LARGE', `${typeDir} holds ${stores.length} stores, more than the limit of ${MAX_LISTED_FILES}`);
    }
    for (const store of stores) out.push(...await listStore(configDir, type, store));
  }
  return out;
}

/** A certificate file name inside a store: a plain name, never a path. */
function checkCertFileName(file: string): void {
  if (file === '' || file === '.' || file === '..' || file.includes('/') || file.includes('\0')) {
    throw new VouchError('INVALID_ARGUMENT', `"${file}" is not a certificate file name`, { hint: "give the file name as 'vouch notation cert ls' prints it" });
  }
}

/** The certificates of one file of a store (notation cert show). */
export async function readTrustStoreCertificate(configDir: string, type: TrustStoreType, store: string, file: string): Promise<Buffer[]> {
  checkStoreName(store);
  checkCertFileName(file);
  const dir = trustStoreDir(configDir, type, store);
  const st = await lstatOrUndefined(dir);
  if (st !== undefined && !st.isDirectory()) throw notRegularDir(dir);
  return (await readCertificates(join(dir, file), false)).ders;
}

/** The path that `cert delete` removes, after checking it exists and is what notation would remove. */
export async function trustStoreEntry(configDir: string, type: TrustStoreType, store: string, file?: string): Promise<string> {
  checkStoreName(store);
  const dir = trustStoreDir(configDir, type, store);
  const st = await lstatOrUndefined(dir);
  if (st === undefined) throw new VouchError('FILE_NOT_FOUND', `stat ${dir}: no such file or directory`);
  if (!st.isDirectory()) throw notRegularDir(dir);
  if (file === undefined) return dir;
  checkCertFileName(file);
  const path = join(dir, file);
  const fst = await lstatOrUndefined(path);
  if (fst === undefined) throw new VouchError('FILE_NOT_FOUND', `stat ${path}: no such file or directory`);
  if (!fst.isFile()) throw notRegularFile(path);
  return path;
}

export async function removeTrustStoreEntry(path: string): Promise<void> {
  await rm(path, { recursive: true });
}

// ---- trust policy ----

/** The OCI trust policy file that is in use (trustpolicy.oci.json, else trustpolicy.json), if any. */
export async function currentTrustPolicyFile(configDir: string): Promise<string | undefined> {
  for (const f of TRUST_POLICY_FILES) {
    const path = join(configDir, f);
    if (await lstatOrUndefined(path) !== undefined) return path;
  }
  return undefined;
}

/** The bytes of the trust policy in use, and whether they pass notation's validation (the error if not). */
export async function showTrustPolicy(configDir: string): Promise<{ file: string; bytes: Buffer; error?: string } | undefined> {
  const file = await currentTrustPolicyFile(configDir);
  if (file === undefined) return undefined;
  const bytes = await readRegularFile(file, MAX_CONFIG_BYTES) as Buffer;
  try { parseTrustPolicy(bytes, file); } catch (err) {
    if (err instanceof VouchError) return { file, bytes, error: err.message };
    throw err;
  }
  return { file, bytes };
}

/**
 * notation policy import: validates, then writes the bytes unchanged to trustpolicy.json (0600),
 * the file notation v1.3 reads; a trustpolicy.oci.json that newer notation (and vouch) would read
 * first gets the same bytes, so every tool sees the imported policy. Returns the files written.
 */
export async function importTrustPolicy(configDir: string, bytes: Buffer, source: string): Promise<string[]> {
  try { parseTrustPolicy(bytes, source); } catch (err) {
    if (err instanceof VouchError) throw new VouchError(err.code, `failed to validate trust policy: ${err.message}`, { cause: err, ...(err.hint ? { hint: err.hint } : {}) });
    throw err;
  }
  await ensureDir(configDir);
  const targets = [join(configDir, TRUST_POLICY_FILE)];
  for (const f of TRUST_POLICY_FILES) {
    const path = join(configDir, f);
    const st = await lstatOrUndefined(path);
    if (st !== undefined && !st.isFile()) throw notRegularFile(path);
    if (st !== undefined && !targets.includes(path)) targets.push(path);
  }
  for (const path of targets) await writeFileAtomic(path, bytes, { mode: 0o600, dirMode: 0o700 });
  return targets;
}
