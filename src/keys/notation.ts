// notation's configuration directory, read unchanged (notation-go dir/path.go): Go's
// os.UserConfigDir()/notation, i.e. $XDG_CONFIG_HOME/notation or ~/.config/notation on Linux;
// trust policies in trustpolicy.oci.json (newer notation) or trustpolicy.json (notation ≤ 1.3);
// trust stores in truststore/x509/{ca,signingAuthority,tsa}/NAME/ holding PEM or DER files. Like
// notation, symlinks and subdirectories are refused. Signing keys and certificates as PEM files,
// named directly or through notation's local key store (signingkeys.json).
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { VouchError, parseCertificateBundle } from '../core/index.js';
import { writeFileAtomic } from '../files/index.js';
import { parseBlobTrustPolicy, parseCertificateFile, parseTrustPolicy, type BlobTrustPolicyDocument, type TrustPolicyDocument, type TrustStoreContents, type TrustStoreType } from '../sig/index.js';
import type { Env } from './trustdir.js';
import { SIGNING_KEYS_FILE, TRUST_POLICY_FILES, loadSigningKeys } from './notation-config.js';

export { TRUST_POLICY_FILES };

const MAX_POLICY_BYTES = 1024 * 1024;
const MAX_CERT_FILE_BYTES = 1024 * 1024;
const MAX_STORE_FILES = 100;

export function notationConfigDir(env: Env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'notation');
}

async function lstatOrUndefined(path: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try { return await lstat(path); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VouchError('STORAGE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The OCI trust policy: `file` if given, else the first of trustpolicy.oci.json, trustpolicy.json in the config dir. */
export async function readNotationTrustPolicy(configDir: string, file?: string): Promise<{ file: string; policy: TrustPolicyDocument }> {
  const candidates = file !== undefined ? [file] : TRUST_POLICY_FILES.map((f) => join(configDir, f));
  for (const path of candidates) {
    const bytes = await readPolicyFile(path);
    if (bytes !== undefined) return { file: path, policy: parseTrustPolicy(bytes, path) };
  }
  throw new VouchError('INVALID_POLICY', `trust policy is not present (looked for ${candidates.join(', ')})`, {
    hint: 'create one (https://notaryproject.dev/docs/quickstart/#create-a-trust-policy), or name it with --trust-policy FILE',
  });
}

export const BLOB_TRUST_POLICY_FILE = 'trustpolicy.blob.json';

/** The bytes of a policy file: a regular file (no symlink), bounded; undefined when absent. */
async function readPolicyFile(path: string): Promise<Buffer | undefined> {
  const st = await lstatOrUndefined(path);
  if (st === undefined) return undefined;
  if (!st.isFile()) throw new VouchError('INVALID_POLICY', `trust policy ${path} is not a regular file (symlinks are not supported)`, { hint: 'replace the link with a copy of the file' });
  if (st.size > MAX_POLICY_BYTES) throw new VouchError('TOO_LARGE', `trust policy ${path} is ${st.size} bytes, over the limit of ${MAX_POLICY_BYTES}`);
  return readFile(path);
}

/** trustpolicy.blob.json of the config dir, validated (notation-go trustpolicy.LoadBlobDocument). */
export async function readNotationBlobTrustPolicy(configDir: string): Promise<{ file: string; policy: BlobTrustPolicyDocument }> {
  const file = join(configDir, BLOB_TRUST_POLICY_FILE);
  const bytes = await readPolicyFile(file);
  if (bytes === undefined) {
    throw new VouchError('INVALID_POLICY', `trust policy is not present. To create a trust policy, see: https://notaryproject.dev/docs/quickstart/#create-a-trust-policy (looked for ${file})`, {
      hint: 'import one with `vouch notation blob policy import FILE`',
    });
  }
  return { file, policy: parseBlobTrustPolicy(bytes, file) };
}

/** The raw bytes of trustpolicy.blob.json, for `blob policy show`; undefined when absent. */
export async function readNotationBlobTrustPolicyBytes(configDir: string): Promise<{ file: string; bytes?: Buffer }> {
  const file = join(configDir, BLOB_TRUST_POLICY_FILE);
  const bytes = await readPolicyFile(file);
  return { file, ...(bytes !== undefined ? { bytes } : {}) };
}

/**
 * Validates `source` as a blob trust policy and writes it, unchanged, as the config dir's
 * trustpolicy.blob.json (cmd/notation/blob/policy/import.go). Refuses to replace an existing one
 * unless `force`. Returns the path written and whether one was replaced.
 */
export async function importNotationBlobTrustPolicy(configDir: string, source: string, force: boolean): Promise<{ file: string; replaced: boolean }> {
  const st = await lstatOrUndefined(source);
  if (st === undefined) throw new VouchError('FILE_NOT_FOUND', `failed to read blob trust policy file: open ${source}: no such file or directory`);
  if (!st.isFile()) throw new VouchError('INVALID_ARGUMENT', `failed to read blob trust policy file: ${source} is not a regular file`);
  if (st.size > MAX_POLICY_BYTES) throw new VouchError('TOO_LARGE', `blob trust policy file ${source} is ${st.size} bytes, over the limit of ${MAX_POLICY_BYTES}`);
  const bytes = await readFile(source);
  try { parseBlobTrustPolicy(bytes, source); } catch (err) {
    if (err instanceof VouchError) throw new VouchError(err.code, `failed to validate blob trust policy configuration: ${err.message}`, { cause: err });
    throw err;
  }
  const file = join(configDir, BLOB_TRUST_POLICY_FILE);
  const existing = await lstatOrUndefined(file);
  if (existing !== undefined && !force) {
    throw new VouchError('CONFLICT', `the blob trust policy configuration ${file} already exists`, { hint: 'use --force to overwrite it' });
  }
  await writeFileAtomic(file, bytes, { mode: 0o600, dirMode: 0o700 });
  return { file, replaced: existing !== undefined };
}

/**
 * The certificates of each named trust store (`type:name` → DER list), or why a store cannot be
 * used, in notation's words (notation-go verifier/truststore/truststore.go).
 */
export async function readNotationTrustStores(configDir: string, stores: readonly { type: TrustStoreType; name: string }[]): Promise<TrustStoreContents> {
  const out: Record<string, Buffer[] | { error: string }> = {};
  for (const { type, name } of stores) {
    const key = `${type}:${name}`;
    const dir = join(configDir, 'truststore', 'x509', type, name);
    const st = await lstatOrUndefined(dir);
    if (st === undefined) {
      out[key] = { error: `the trust store "${name}" of type "${type}" does not exist (${dir}). Use command 'notation cert add' to create and add trusted certificates to the trust store` };
      continue;
    }
    if (!st.isDirectory()) {
      out[key] = { error: `the trust store ${name} of type ${type} with path ${dir} is not a regular directory (symlinks are not supported)` };
      continue;
    }
    const certs: Buffer[] = [];
    let problem: string | undefined;
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    if (entries.length > MAX_STORE_FILES) problem = `trust store ${name} of type ${type} holds ${entries.length} files, more than the limit of ${MAX_STORE_FILES}`;
    for (const e of problem ? [] : entries) {
      if (!e.isFile()) {
        problem = `trusted certificate ${e.name} in trust store ${name} of type ${type} is not a regular file (directories or symlinks are not supported)`;
        break;
      }
      const path = join(dir, e.name);
      const size = (await lstat(path)).size;
      if (size > MAX_CERT_FILE_BYTES) { problem = `trusted certificate ${e.name} in trust store ${name} of type ${type} is ${size} bytes, over the limit of ${MAX_CERT_FILE_BYTES}`; break; }
      try {
        certs.push(...parseCertificateFile(await readFile(path), `trusted certificate ${e.name} in trust store ${name} of type ${type}`));
      } catch (err) {
        problem = (err as Error).message;
        break;
      }
    }
    if (problem === undefined && certs.length === 0) problem = `no x509 certificates were found in trust store "${name}" of type "${type}"`;
    out[key] = problem !== undefined ? { error: problem } : certs;
  }
  return out;
}

/** At most this many trust stores of one type are read when all of them are wanted. */
const MAX_STORES_OF_A_TYPE = 100;

/**
 * Every trust store of `type` in notation's configuration that can be used (the first
 * MAX_STORES_OF_A_TYPE by name), with its certificates (DER). A store that cannot be used is left
 * out, as it would fail any verification that names it.
 */
export async function readTrustStoresOfType(configDir: string, type: TrustStoreType): Promise<{ name: string; certificates: Buffer[] }[]> {
  let names: string[];
  try { names = await readdir(join(configDir, 'truststore', 'x509', type)); } catch { return []; }
  const stores = names.sort().slice(0, MAX_STORES_OF_A_TYPE).map((name) => ({ type, name }));
  const contents = await readNotationTrustStores(configDir, stores);
  return stores.flatMap(({ name }) => { const c = contents[`${type}:${name}`]; return Array.isArray(c) ? [{ name, certificates: c }] : []; });
}

/** The certificates of every `tsa` trust store (DER): the TSAs whose timestamps this user's verifiers can trust. */
export async function readTsaTrustRoots(configDir: string): Promise<Buffer[]> {
  return (await readTrustStoresOfType(configDir, 'tsa')).flatMap((s) => s.certificates);
}

/** A signing key (PEM: PKCS#8, PKCS#1 or SEC1, unencrypted) and its certificate chain (PEM, leaf first). */
export async function readSigningKeyFiles(keyPath: string, certPath: string): Promise<{ privateKey: KeyObject; chain: Buffer[] }> {
  const read = async (path: string, what: string): Promise<Buffer> => {
    const st = await lstatOrUndefined(path);
    if (st === undefined) throw new VouchError('FILE_NOT_FOUND', `${what} ${path} does not exist`);
    if (st.size > MAX_CERT_FILE_BYTES) throw new VouchError('TOO_LARGE', `${what} ${path} is larger than ${MAX_CERT_FILE_BYTES} bytes`);
    return readFile(path);
  };
  let privateKey: KeyObject;
  try { privateKey = createPrivateKey(await read(keyPath, 'key file')); } catch (err) {
    if (err instanceof VouchError) throw err;
    throw new VouchError('INVALID_KEY', `key file ${keyPath} does not hold an unencrypted PEM private key: ${(err as Error).message}`, { cause: err });
  }
  const chain = parseCertificateBundle(await read(certPath, 'certificate file')).map((c) => c.raw);
  return { privateKey, chain };
}

/** A key of signingkeys.json: PEM files, or a key a plugin holds. */
export type NotationSigningKey =
  | { name: string; keyPath: string; certPath: string }
  | { name: string; plugin: string; keyId: string; pluginConfig: Record<string, string> };

/**
 * A key of notation's local key store (signingkeys.json: notation-go config/keys.go): `name`, or
 * the default key. A plugin key names its plugin (`pluginName`), its `id` and an optional
 * `pluginConfig` string map, as notation-go config.KeySuite reads them (keys/notation-config.ts).
 */
export async function resolveNotationSigningKey(configDir: string, name?: string): Promise<NotationSigningKey> {
  const file = join(configDir, SIGNING_KEYS_FILE);
  const doc = await loadSigningKeys(configDir);
  const wanted = name ?? doc.default;
  if (wanted === undefined || wanted === '') {
    throw new VouchError('INVALID_ARGUMENT', 'default signing key not set. Please set default signing key or specify a key name', { hint: 'name a key of signingkeys.json with --key NAME, or give --key FILE --cert FILE' });
  }
  const suite = doc.keys.find((k) => k.name === wanted);
  if (suite === undefined) throw new VouchError('KEY_NOT_FOUND', `signing key ${wanted} not found`, { hint: `the keys are listed in ${file}; or give --key FILE --cert FILE` });
  if (suite.pluginName !== undefined) {
    if (suite.id === undefined) throw new VouchError('CONFIG', `signing key ${wanted} in ${file} is held by the plugin ${suite.pluginName} but has no key "id"`);
    return { name: wanted, plugin: suite.pluginName, keyId: suite.id, pluginConfig: { ...suite.pluginConfig } };
  }
  if (suite.keyPath === undefined || suite.certPath === undefined) throw new VouchError('CONFIG', `signing key ${wanted} in ${file} has no keyPath and certPath`);
  return { name: wanted, keyPath: resolve(configDir, suite.keyPath), certPath: resolve(configDir, suite.certPath) };
}
