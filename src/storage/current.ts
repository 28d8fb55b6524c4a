// notary's SQL-backend "current" (notary server/storage/sqldb.go, GetCurrent): the timestamp is the newest one; every other role is the
// file the current timestamp → snapshot chain names by sha256, so a role dropped from the snapshot
// is no longer current. Works on any reader, including a transaction view.
import { normaliseSha256 } from './common.js';
import type { MetadataReader, StoredFile } from './types.js';

/** The sha256 (hex) that signed.meta[role].hashes.sha256 (base64) gives, or undefined. */
function metaSha256(file: StoredFile, role: string): string | undefined {
  try {
    const doc = JSON.parse(file.data.toString('utf8')) as { signed?: { meta?: Record<string, { hashes?: { sha256?: unknown } }> } };
    const b64 = doc.signed?.meta?.[role]?.hashes?.sha256;
    return typeof b64 === 'string' ? normaliseSha256(Buffer.from(b64, 'base64').toString('hex')) : undefined;
  } catch {
    return undefined;
  }
}

export async function getCurrentChained(store: MetadataReader, gun: string, role: string): Promise<StoredFile | undefined> {
  const timestamp = await store.getCurrent(gun, 'timestamp');
  if (!timestamp || role === 'timestamp') return timestamp;
  const snapSha = metaSha256(timestamp, 'snapshot');
  const snapshot = snapSha && (await store.getChecksum(gun, 'snapshot', snapSha));
  if (!snapshot || role === 'snapshot') return snapshot || undefined;
  const sha = metaSha256(snapshot, role);
  return sha ? store.getChecksum(gun, role, sha) : undefined;
}
