// Private key files (notary tuf/utils/pkcs8.go): what notary 0.7 writes (ENCRYPTED PRIVATE KEY with role/gun
// headers, or PRIVATE KEY when the passphrase is empty) and everything it reads (standard PKCS#8,
// legacy EC/RSA/ED25519 PRIVATE KEY with optional DEK-Info encryption).
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { VouchError } from '../core/index.js';
import { PrivateKey } from './key.js';
import { decodePem, encodePem, type PemBlock } from './pem.js';
import { decryptLegacyPem, decryptPkcs8, ed25519FromNotary, encryptPkcs8, fromPkcs8, toNotaryPkcs8, wrongPassphrase } from './pkcs8.js';
import { withPassphrase, type PassphraseSource } from './passphrase.js';
import { roleHasGun } from './roles.js';

export const ENCRYPTED_PRIVATE_KEY = 'ENCRYPTED PRIVATE KEY';
export const PRIVATE_KEY = 'PRIVATE KEY';
const LEGACY_TYPES = new Set(['EC PRIVATE KEY', 'RSA PRIVATE KEY', 'ED25519 PRIVATE KEY']);

export { roleHasGun };

export interface KeyFileOptions {
  role?: string;
  gun?: string;
  /** '' writes an unencrypted PRIVATE KEY, as notary does for an empty passphrase. */
  passphrase: string;
}

/** The PEM text of a key file exactly as notary writes it. */
export function encodePrivateKeyFile(key: PrivateKey, opts: KeyFileOptions): string {
  const headers: Record<string, string> = {};
  if (opts.role) headers.role = opts.role;
  if (opts.gun && roleHasGun(opts.role)) headers.gun = opts.gun;
  const plain = toNotaryPkcs8(key.keyObject);
  if (opts.passphrase === '') return encodePem({ type: PRIVATE_KEY, headers, bytes: plain });
  return encodePem({ type: ENCRYPTED_PRIVATE_KEY, headers, bytes: encryptPkcs8(plain, opts.passphrase) });
}

export interface KeyFileAttributes {
  type: string;
  role: string | undefined;
  gun: string | undefined;
  encrypted: boolean;
}

function checkType(block: PemBlock): void {
  if (block.type !== ENCRYPTED_PRIVATE_KEY && block.type !== PRIVATE_KEY && !LEGACY_TYPES.has(block.type)) {
    throw new VouchError('INVALID_KEY', `not a supported private key (PEM type ${block.type})`);
  }
}

function isEncrypted(block: PemBlock): boolean {
  return block.type === ENCRYPTED_PRIVATE_KEY || 'DEK-Info' in block.headers;
}

/** Role, GUN and encryption of a key file, from its PEM block alone (no passphrase needed). */
export function keyFileAttributes(text: string | Uint8Array): KeyFileAttributes {
  const block = decodePem(text, 'private key file');
  checkType(block);
  return { type: block.type, role: block.headers.role || undefined, gun: block.headers.gun || undefined, encrypted: isEncrypted(block) };
}

/**
 * Decodes a private key file. `passphrase` is needed only for encrypted files; a wrong one is
 * BAD_PASSPHRASE, a missing one NO_PASSPHRASE.
 */
export function decodePrivateKeyFile(text: string | Uint8Array, passphrase?: string): PrivateKey {
  const block = decodePem(text, 'private key file');
  checkType(block);
  if (isEncrypted(block) && (passphrase === undefined || passphrase === '')) {
    throw new VouchError('NO_PASSPHRASE', 'the private key file is encrypted and no passphrase was given');
  }
  return new PrivateKey(decodeBlock(block, passphrase ?? ''));
}

function decodeBlock(block: PemBlock, passphrase: string): KeyObject {
  if (block.type === PRIVATE_KEY) return fromPkcs8(block.bytes);
  if (block.type === ENCRYPTED_PRIVATE_KEY) {
    const plain = decryptPkcs8(block.bytes, passphrase);
    try {
      return fromPkcs8(plain);
    } catch (err) {
      // Right padding by chance but garbage inside: still the wrong passphrase.
      throw wrongPassphrase(err);
    }
  }
  const dek = block.headers['DEK-Info'];
  const der = dek === undefined ? block.bytes : decryptLegacyPem(dek, block.bytes, passphrase);
  try {
    switch (block.type) {
      case 'EC PRIVATE KEY': return createPrivateKey({ key: der, format: 'der', type: 'sec1' });
      case 'RSA PRIVATE KEY': return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
      default: return ed25519FromNotary(der);
    }
  } catch (err) {
    if (dek !== undefined) throw wrongPassphrase(err);
    if (err instanceof VouchError) throw err;
    throw new VouchError('INVALID_KEY', `${block.type} does not parse`, { cause: err });
  }
}

export interface ReadKeyFileOptions {
  passphrases: PassphraseSource;
  /** Canonical key ID, for prompts and messages. */
  keyId?: string;
  /** Passphrase alias; default the file's role header (docker uses `encrypted` for key load). */
  alias?: string;
}

/** Decodes a key file, asking `passphrases` (with retries for prompts) when it is encrypted. */
export async function readPrivateKeyFile(text: string | Uint8Array, opts: ReadKeyFileOptions): Promise<PrivateKey> {
  const attrs = keyFileAttributes(text);
  if (!attrs.encrypted) return decodePrivateKeyFile(text);
  const role = opts.alias ?? attrs.role ?? 'default';
  const req = opts.keyId === undefined ? { role, createNew: false } : { role, keyId: opts.keyId, createNew: false };
  return withPassphrase(opts.passphrases, req, (p) => decodePrivateKeyFile(text, p));
}
