// Signature and threshold checks (notary tuf/signed/verifiers.go, notary tuf/signed/verify.go), over the canonical
// bytes of `signed` as the verifier re-canonicalises them.
import { VouchError, fromBase64, isVouchError, verifySignature, type PublicKeyData } from '../core/index.js';
import { canonicalKeyId, keyId } from './keyid.js';
import type { BaseRole } from './roles.js';
import type { DelegationRole, Metadata, Root, Targets } from './metadata.js';

/** The keys allowed to sign a role, and how many distinct ones must. */
export interface KeyRole {
  readonly name: string;
  readonly keyids: readonly string[];
  readonly keys: ReadonlyMap<string, PublicKeyData>;
  readonly threshold: number;
}

/** A signature that did not count, and why (error code of the failed check). */
export interface RejectedSignature {
  readonly keyid: string;
  readonly reason: string;
}

export interface VerifiedSignatures {
  /** Key IDs (as listed) whose signature counted, one per distinct key. */
  readonly validKeyIds: readonly string[];
  readonly rejected: readonly RejectedSignature[];
}

/** The root's entry for a base role with its keys. */
export function baseKeyRole(root: Root, role: BaseRole): KeyRole {
  const r = root.roles[role];
  return { name: role, keyids: r.keyids, keys: root.keys, threshold: r.threshold };
}

/** A delegation entry of `parent` with the parent's delegation keys. */
export function delegationKeyRole(parent: Targets, d: DelegationRole): KeyRole {
  return { name: d.name, keyids: d.keyids, keys: parent.delegations.keys, threshold: d.threshold };
}

/**
 * Checks that at least `threshold` distinct keys of the role signed `md`. Signatures by key IDs
 * outside the role are ignored; a signature that fails, or names a method that does not belong
 * to its key type, does not count. A listed key whose ID is not the ID of its own key material
 * is an error (KEYID_MISMATCH): otherwise one key could be listed under many IDs. Keys are also
 * compared by their canonical (bare) key, so one key listed twice (say as `ecdsa` and as
 * `ecdsa-x509`) still counts once, and a repeated signature counts once.
 */
export function verifySignatures(md: Metadata, role: KeyRole): VerifiedSignatures {
  if (!Number.isSafeInteger(role.threshold) || role.threshold < 1) {
    throw new VouchError('INVALID_THRESHOLD', `${role.name}: threshold ${role.threshold} is invalid; it must be at least 1`, { details: { role: role.name, threshold: role.threshold } });
  }
  if (md.signatures.length === 0) {
    throw new VouchError('NO_SIGNATURES', `${md.role} metadata has no signatures`, { details: { role: md.role } });
  }
  const roleKeys = new Map<string, PublicKeyData>();
  for (const id of role.keyids) {
    const key = role.keys.get(id);
    if (key === undefined) continue;
    if (keyIdOrUndefined(key) !== id) {
      throw new VouchError('KEYID_MISMATCH', `${role.name}: key listed as ${id} does not have that key ID`, { details: { role: role.name, keyid: id } });
    }
    roleKeys.set(id, key);
  }
  const data = md.canonicalSigned();
  const counted = new Set<string>();
  const validKeyIds: string[] = [];
  const rejected: RejectedSignature[] = [];
  for (const s of md.signatures) {
    const key = roleKeys.get(s.keyid);
    if (key === undefined) continue;
    try {
      if (!verifySignature(key, s.method, fromBase64(s.sig, 'signature'), data)) {
        rejected.push({ keyid: s.keyid, reason: 'INVALID_SIGNATURE' });
        continue;
      }
      const id = canonicalKeyId(key);
      if (counted.has(id)) continue;
      counted.add(id);
      validKeyIds.push(s.keyid);
    } catch (err) {
      if (!isVouchError(err)) throw err;
      rejected.push({ keyid: s.keyid, reason: err.code });
    }
  }
  if (counted.size < role.threshold) {
    throw new VouchError('THRESHOLD_NOT_MET', `valid signatures did not meet threshold for ${role.name}: ${counted.size} of ${role.threshold}`, {
      details: { role: role.name, threshold: role.threshold, valid: counted.size, rejected },
    });
  }
  return { validKeyIds, rejected };
}

function keyIdOrUndefined(key: PublicKeyData): string | undefined {
  try {
    return keyId(key);
  } catch {
    return undefined;
  }
}
