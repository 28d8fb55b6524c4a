// cosign's key files (sigstore/cosign pkg/cosign/keys.go): `cosign.key` is a PEM block `ENCRYPTED
// SIGSTORE PRIVATE KEY` (older cosign: `ENCRYPTED COSIGN PRIVATE KEY`) whose body is JSON from
// go-securesystemslib encrypted/encrypted.go: scrypt (only its three parameter sets) derives a
// 32-byte key that opens a NaCl secretbox holding the PKCS#8 DER private key. `cosign.pub` is a
// `PUBLIC KEY` (SPKI) block. secretbox comes from @noble/ciphers; scrypt from node:crypto.
import { createPrivateKey, createPublicKey, randomBytes, scrypt, type KeyObject } from 'node:crypto';
import type { xsalsa20poly1305 as XSalsa20Poly1305 } from '@noble/ciphers/salsa.js';
import { VouchError, isJsonObject, parseJson } from '../core/index.js';
import { decodePem, encodePem } from './pem.js';

export const SIGSTORE_PRIVATE_KEY_PEM = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_PRIVATE_KEY_PEM = 'ENCRYPTED COSIGN PRIVATE KEY';
export const PUBLIC_KEY_PEM = 'PUBLIC KEY';

export interface ScryptParams { N: number; r: number; p: number }
/** go-securesystemslib's Legacy, Standard (cosign's default) and OWASP sets; nothing else is accepted. */
export const SCRYPT_PARAMS = {
  legacy: { N: 32768, r: 8, p: 1 },
  standard: { N: 65536, r: 8, p: 1 },
  owasp: { N: 131072, r: 8, p: 1 },
} as const satisfies Record<string, ScryptParams>;
const SALT_BYTES = 32;
const KEY_BYTES = 32;
const NONCE_BYTES = 24;
/** A PKCS#8 key of any type cosign makes is a few KiB at most (RSA 4096: ~2.4 KiB). */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** secretbox, loaded when a private key is read or written: verifying with cosign.pub needs none of it (bench/cosign). */
const secretbox = async (): Promise<typeof XSalsa20Poly1305> => (await import('@noble/ciphers/salsa.js')).xsalsa20poly1305;

function scryptKey(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes: 128 MiB for the OWASP set, above node's 32 MiB default.
  const maxmem = 2 * 128 * params.N * params.r;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const invalid = (what: string): VouchError => new VouchError('INVALID_KEY', `not a cosign private key: ${what}`, {
  hint: 'a cosign.key from `cosign generate-key-pair` or `vouch cosign generate-key-pair`',
});

function base64Field(o: Record<string, unknown>, name: string, what: string): Buffer {
  const v = o[name];
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw invalid(`${what} is not base64`);
  return Buffer.from(v, 'base64');
}

/** Decrypts a cosign.key with its password (COSIGN_PASSWORD; empty is allowed, as cosign allows it). */
export async function decryptCosignKey(file: string | Uint8Array, password: string): Promise<KeyObject> {
  if (file.length > MAX_KEY_FILE_BYTES) throw new VouchError('TOO_LARGE', `the cosign key file is over ${MAX_KEY_FILE_BYTES} bytes`);
  const block = decodePem(file, 'cosign private key');
  if (block.type !== SIGSTORE_PRIVATE_KEY_PEM && block.type !== COSIGN_PRIVATE_KEY_PEM) {
    throw invalid(`a PEM block of type '${block.type}', not '${SIGSTORE_PRIVATE_KEY_PEM}' or '${COSIGN_PRIVATE_KEY_PEM}'`);
  }
  const doc = parseJson(block.bytes, { maxBytes: MAX_KEY_FILE_BYTES, what: 'cosign private key' });
  if (!isJsonObject(doc) || !isJsonObject(doc.kdf) || !isJsonObject(doc.cipher)) throw invalid('no kdf and cipher');
  const kdf = doc.kdf;
  const cipher = doc.cipher;
  if (kdf.name !== 'scrypt') throw invalid(`key derivation '${String(kdf.name)}' is not scrypt`);
  if (cipher.name !== 'nacl/secretbox') throw invalid(`cipher '${String(cipher.name)}' is not nacl/secretbox`);
  const p = isJsonObject(kdf.params) ? kdf.params : {};
  const params = Object.values(SCRYPT_PARAMS).find((s) => s.N === p.N && s.r === p.r && s.p === p.p);
  // Untrusted parameters would let a key file ask for gigabytes of memory: only the known sets run.
  if (params === undefined) throw invalid(`unsupported scrypt parameters N=${String(p.N)} r=${String(p.r)} p=${String(p.p)}`);
  const salt = base64Field(kdf, 'salt', 'the salt');
  const nonce = base64Field(cipher, 'nonce', 'the nonce');
  const ciphertext = base64Field(doc, 'ciphertext', 'the ciphertext');
  if (salt.length === 0) throw invalid('an empty salt');
  if (nonce.length !== NONCE_BYTES) throw invalid(`a ${nonce.length}-byte nonce (secretbox takes ${NONCE_BYTES})`);
  const key = await scryptKey(Buffer.from(password, 'utf8'), salt, params);
  const open = await secretbox();
  let der: Uint8Array;
  try {
    der = open(key, nonce).decrypt(ciphertext);
  } catch {
    throw new VouchError('BAD_PASSPHRASE', 'decrypt: encrypted: decryption failed (wrong password for the cosign key)', {
      hint: 'set COSIGN_PASSWORD to the password the key was made with',
    });
  }
  try {
    return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch (err) {
    throw new VouchError('INVALID_KEY', 'the cosign key decrypts, but not to a PKCS#8 private key', { cause: err });
  }
}

/** What `cosign generate-key-pair` writes: an encrypted private key (standard scrypt set) and its public key. */
export async function encryptCosignKey(key: KeyObject, password: string, params: ScryptParams = SCRYPT_PARAMS.standard): Promise<string> {
  if (key.type !== 'private') throw new VouchError('INVALID_ARGUMENT', 'only a private key can be written as cosign.key');
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const box = (await secretbox())(await scryptKey(Buffer.from(password, 'utf8'), salt, params), nonce).encrypt(der);
  const body = {
    kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(box).toString('base64'),
  };
  return encodePem({ type: SIGSTORE_PRIVATE_KEY_PEM, bytes: Buffer.from(JSON.stringify(body)) });
}

/** cosign.pub: the SPKI public key. */
export function cosignPublicKeyPem(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return encodePem({ type: PUBLIC_KEY_PEM, bytes: pub.export({ format: 'der', type: 'spki' }) });
}

/** Reads cosign.pub (a `PUBLIC KEY` block): ECDSA P-256/384/521, RSA or Ed25519. */
export function parseCosignPublicKey(file: string | Uint8Array): KeyObject {
  if (file.length > MAX_KEY_FILE_BYTES) throw new VouchError('TOO_LARGE', `the public key file is over ${MAX_KEY_FILE_BYTES} bytes`);
  const block = decodePem(file, 'cosign public key');
  if (block.type !== PUBLIC_KEY_PEM) throw new VouchError('INVALID_KEY', `a PEM block of type '${block.type}', not '${PUBLIC_KEY_PEM}'`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.bytes, format: 'der', type: 'spki' });
  } catch (err) {
    throw new VouchError('INVALID_KEY', 'the PUBLIC KEY block is not a valid SubjectPublicKeyInfo', { cause: err });
  }
  const type = key.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa' && type !== 'ed25519') throw new VouchError('UNSUPPORTED_KEY_TYPE', `cosign keys are ECDSA, RSA or Ed25519, not ${String(type)}`);
  return key;
}
