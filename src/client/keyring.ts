// Private keys the user holds, looked up the way docker and notary do: a role's listed keys are
// matched by canonical key ID against the files in the trust directory (`private/<id>.key`).
// Signers carry the key ID as listed in metadata (the x509 ID for certificate keys).
import { VouchError, type PublicKeyData } from '../core/index.js';
import { canonicalKeyId, type Signer } from '../tuf/index.js';
import type { PrivateKey, TrustDir } from '../keys/index.js';

export class KeyRing {
  private readonly dir: TrustDir;
  private ids: Set<string> | undefined;
  private readonly loaded = new Map<string, PrivateKey>();

  constructor(dir: TrustDir) {
    this.dir = dir;
  }

  /** Canonical IDs of every private key in the trust directory. */
  async keyIds(): Promise<Set<string>> {
    this.ids ??= new Set((await this.dir.listKeys()).map((k) => k.keyId));
    return this.ids;
  }

  /** Forget the listing (after keys were added). */
  refresh(): void {
    this.ids = undefined;
  }

  async has(key: PublicKeyData): Promise<boolean> {
    return (await this.keyIds()).has(safeCanonicalId(key) ?? '');
  }

  async load(canonicalId: string): Promise<PrivateKey> {
    let k = this.loaded.get(canonicalId);
    if (k === undefined) {
      k = (await this.dir.loadKey(canonicalId)).key;
      this.loaded.set(canonicalId, k);
    }
    return k;
  }

  /** A signer for one listed key, or undefined when the user does not hold it. */
  async signerFor(listedId: string, listed: PublicKeyData): Promise<Signer | undefined> {
    const id = safeCanonicalId(listed);
    if (id === undefined || !(await this.keyIds()).has(id)) return undefined;
    const key = await this.load(id);
    return { keyId: listedId, publicKey: listed, sign: (data: Uint8Array) => key.sign(data) };
  }

  /** Signers for every listed key the user holds; KEY_NOT_FOUND naming the keys when there are none. */
  async signersFor(role: string, keyids: readonly string[], keys: ReadonlyMap<string, PublicKeyData>, hint?: string): Promise<Signer[]> {
    const out: Signer[] = [];
    for (const id of keyids) {
      const k = keys.get(id);
      if (k === undefined) continue;
      const s = await this.signerFor(id, k);
      if (s !== undefined) out.push(s);
    }
    if (out.length === 0) {
      const canon = keyids.map((id) => safeCanonicalId(keys.get(id)) ?? id);
      throw new VouchError('KEY_NOT_FOUND', `could not find necessary signing keys for ${role}, at least one of these keys must be available: ${canon.join(', ')}`, {
        details: { role, keyIds: canon },
        hint: hint ?? `import the ${role} key into ${this.dir.privateDir} (vouch trust key load FILE --name NAME), or ask its holder to do this step`,
      });
    }
    return out;
  }
}

export function safeCanonicalId(key: PublicKeyData | undefined): string | undefined {
  if (key === undefined) return undefined;
  try {
    return canonicalKeyId(key);
  } catch {
    return undefined;
  }
}
