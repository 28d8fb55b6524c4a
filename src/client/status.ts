// `vouch status`: what will stop verifying, and when. For a repository's verified DCT trust data:
// the expiry of every role and root certificate, who has to renew it (the server renews the
// timestamp, and the snapshot when it holds that key; everything else needs its key holder), the
// keys, the signed tags per signer, and what breaks first. `statusOf` is pure (time passed in).
import { isVouchError, type ErrorCode } from '../core/index.js';
import { REPO_ADMIN, certificateChain, certificateValidity, signedTagRows, type Metadata, type Root } from '../tuf/index.js';
import type { ImageReference } from '../oci/reference.js';
import { inspectSource } from './inspect.js';
import { safeCanonicalId } from './keyring.js';
import { RepoHandle } from './repo.js';
import type { Session } from './session.js';
import type { VerifiedRepo } from './updater.js';

export type ExpiryState = 'ok' | 'expiring' | 'expired';
/** A repository's overall state; `unverified` when its trust data could not be read and verified now. */
export type RepoState = ExpiryState | 'unverified';

export interface ExpiryItem {
  /** `role` (signed metadata) or `certificate` (a root key's X.509 certificate) */
  kind: 'role' | 'certificate';
  /** role name, or `root certificate <key ID>` */
  name: string;
  version?: number;
  /** ISO 8601 */
  expires: string;
  state: ExpiryState;
  /** who renews it: the trust server does so by itself; the owner must re-sign (or rotate) before it expires */
  renewedBy: 'server' | 'owner';
  /** why, for an item that could not be verified (an expired delegation is skipped by every client) */
  note?: string;
}

export interface KeyInfo {
  role: string;
  keyId: string;
  keyType: string;
  /** certificate keys (the root's): when the certificate was issued (ISO 8601) */
  notBefore?: string;
}

export interface RepoStatus {
  repository: string;
  state: RepoState;
  /** every expiry, soonest first */
  items: ExpiryItem[];
  /** the owner-renewed item that expires first: what breaks first, and when */
  firstToBreak?: ExpiryItem;
  keys: KeyInfo[];
  /** signed tags per signer (docker's view: `Repo Admin` for targets and targets/releases) */
  signers: { name: string; tags: number }[];
  /** why the repository is `unverified` */
  error?: { code: ErrorCode; message: string };
}

const stateOf = (expires: Date, now: Date, horizonMs: number): ExpiryState =>
  expires.getTime() <= now.getTime() ? 'expired' : expires.getTime() - now.getTime() <= horizonMs ? 'expiring' : 'ok';

const worst = (states: readonly RepoState[]): RepoState =>
  (['unverified', 'expired', 'expiring'] as const).find((s) => states.includes(s)) ?? 'ok';

function rootCertificates(root: Metadata<Root>, now: Date, horizonMs: number): { items: ExpiryItem[]; keys: KeyInfo[] } {
  const items: ExpiryItem[] = [];
  const keys: KeyInfo[] = [];
  for (const id of root.signed.roles.root.keyids) {
    const key = root.signed.keys.get(id);
    if (key === undefined) continue;
    if (!key.keytype.endsWith('-x509')) { keys.push({ role: 'root', keyId: id, keyType: key.keytype }); continue; }
    const { notBefore, notAfter } = certificateValidity(certificateChain(key).leaf);
    keys.push({ role: 'root', keyId: id, keyType: key.keytype, notBefore: notBefore.toISOString() });
    items.push({ kind: 'certificate', name: `root certificate ${id.slice(0, 12)}`, expires: notAfter.toISOString(), state: stateOf(notAfter, now, horizonMs), renewedBy: 'owner' });
  }
  return { items, keys };
}

/**
 * The status of a verified repository at `now`. `serverSnapshotKeyId` is the canonical ID of the
 * server's snapshot key, when known: if root lists it, the server renews the snapshot.
 */
export function statusOf(repo: VerifiedRepo, now: Date, horizonMs: number, serverSnapshotKeyId?: string): RepoStatus {
  const root = repo.root.signed;
  const role = (name: string, md: { signed: { version: number; expires: Date } }, renewedBy: ExpiryItem['renewedBy']): ExpiryItem => ({
    kind: 'role', name, version: md.signed.version, expires: md.signed.expires.toISOString(), state: stateOf(md.signed.expires, now, horizonMs), renewedBy,
  });
  const snapshotByServer = serverSnapshotKeyId !== undefined
    && root.roles.snapshot.keyids.some((id) => safeCanonicalId(root.keys.get(id)) === serverSnapshotKeyId || id === serverSnapshotKeyId);
  const certs = rootCertificates(repo.root, now, horizonMs);
  const items: ExpiryItem[] = [
    role('root', repo.root, 'owner'),
    ...certs.items,
    role('targets', repo.targets, 'owner'),
    ...repo.trusted.loadedTargetsRoles.filter((r) => r !== 'targets').map((r) => {
      const md = repo.trusted.targetsRole(r)?.metadata;
      return md === undefined ? undefined : role(r, md, 'owner');
    }).filter((i): i is ExpiryItem => i !== undefined),
    // a delegation that failed verification is skipped by every client: its tags are gone
    ...repo.skipped.map((w): ExpiryItem => ({
      kind: 'role', name: w.role, expires: '', state: 'expired', renewedBy: 'owner', note: `${w.error.code}: ${w.error.message}`,
    })),
    role('snapshot', repo.snapshot, snapshotByServer ? 'server' : 'owner'),
    role('timestamp', repo.timestamp, 'server'),
  ];
  items.sort((a, b) => (a.expires === '' ? -1 : b.expires === '' ? 1 : a.expires.localeCompare(b.expires)));

  const keys: KeyInfo[] = [...certs.keys];
  for (const r of ['targets', 'snapshot', 'timestamp'] as const) {
    for (const id of root.roles[r].keyids) keys.push({ role: r, keyId: id, keyType: root.keys.get(id)?.keytype ?? 'unknown' });
  }
  const src = inspectSource(repo);
  for (const d of src.delegations) for (const id of d.keyIds) keys.push({ role: d.name, keyId: id, keyType: 'delegation' });
  for (const k of keys) if (k.keyType === 'delegation') k.keyType = delegationKeyType(repo, k.role, k.keyId);

  const perSigner = new Map<string, number>();
  for (const row of signedTagRows(src.targets)) {
    for (const name of row.signers.length > 0 ? row.signers : [REPO_ADMIN]) perSigner.set(name, (perSigner.get(name) ?? 0) + 1);
  }
  const owned = items.filter((i) => i.renewedBy === 'owner');
  const firstToBreak = owned.find((i) => i.state !== 'ok') ?? owned[0];
  return {
    repository: repo.gun,
    state: worst(owned.map((i) => i.state)),
    items,
    ...(firstToBreak !== undefined ? { firstToBreak } : {}),
    keys,
    signers: [...perSigner].map(([name, tags]) => ({ name, tags })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function delegationKeyType(repo: VerifiedRepo, role: string, canonicalId: string): string {
  for (const [id, key] of repo.targets.signed.delegations.keys) {
    if (id === canonicalId || safeCanonicalId(key) === canonicalId) return key.keytype;
  }
  return 'unknown';
}

/** Reads, verifies and reports one repository; a repository that cannot be verified is `unverified`, never an exception. */
export async function repositoryStatus(s: Session, ref: ImageReference, horizonMs: number): Promise<RepoStatus> {
  const handle = new RepoHandle(s, ref);
  const unverified = (code: ErrorCode, message: string): RepoStatus => ({ repository: handle.gun, state: 'unverified', items: [], keys: [], signers: [], error: { code, message } });
  try {
    const repo = await handle.load();
    if (repo === undefined) return unverified('REPOSITORY_NOT_FOUND', `${handle.gun} has no trust data on ${handle.remote.server}`);
    if (!repo.fresh) return unverified('UNREACHABLE', `${handle.remote.server} could not be reached; the cached trust data is not evidence of the current state`);
    let serverSnapshot: string | undefined;
    try {
      serverSnapshot = safeCanonicalId(await handle.remote.getServerKey('snapshot'));
    } catch {
      serverSnapshot = undefined; // a server that does not hand out its snapshot key: the snapshot counts as the owner's
    }
    return statusOf(repo, s.now(), horizonMs, serverSnapshot);
  } catch (err) {
    if (isVouchError(err)) return unverified(err.code, err.message);
    throw err;
  }
}
