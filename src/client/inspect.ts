// `docker trust inspect` as data (docker/cli cli/command/trust/inspect.go): which tags are signed,
// by whom, with which keys, read from verified repositories. The CLI lays it out exactly as docker
// ≤ v28 prints it (src/cli/render/inspect.ts).
import { VouchError, isVouchError } from '../core/index.js';
import { forEachTarget, hashBase64, listDelegations } from '../tuf/index.js';
import type { ImageReference } from '../oci/reference.js';
import { safeCanonicalId } from './keyring.js';
import { RepoHandle } from './repo.js';
import type { Session } from './session.js';
import { byteView, naturalCompareBytes, naturalKey } from './textutil.js';
import type { VerifiedRepo } from './updater.js';

/** One signed target as found in one role of a verified repository. */
export interface RoleTarget {
  role: string;
  tag: string;
  /** lowercase hex of hashes.sha256, or '' when the target has none */
  readonly sha256: string;
  /**
   * hashes.sha256 as written (base64), when known: equal texts are equal digests, so rows are
   * matched on it before (only when the texts differ) reading `sha256`, which may be computed.
   */
  readonly sha256Text?: string | undefined;
}

/** What inspect needs from a verified repository. */
export interface InspectSource {
  /** every target of every role the reader could verify, in role walk order */
  targets: RoleTarget[];
  /** delegation roles with their canonical key IDs (as `notary delegation list` shows them) */
  delegations: { name: string; keyIds: string[] }[];
  /** key IDs listed for root and targets in root.json */
  rootKeyIds: string[];
  targetsKeyIds: string[];
}

export interface TrustTagRow { SignedTag: string; Digest: string; Signers: string[] }
export interface TrustSigner { Name: string; Keys: { ID: string }[] }
export interface TrustRepo { Name: string; SignedTags: TrustTagRow[]; Signers: TrustSigner[]; AdministrativeKeys: TrustSigner[] }

export const REPO_ADMIN = 'Repo Admin';
const isReleased = (role: string): boolean => role === 'targets' || role === 'targets/releases';
const signerName = (role: string): string => (isReleased(role) ? REPO_ADMIN : role.replace(/^targets\//, ''));

/** A released tag: its digest and the other delegations that signed the same digest. */
export interface TagRow { tag: string; digest: string; signers: string[] }

/** Rows for tags signed into targets or targets/releases, with the other delegations that signed the same digest. */
export function signedTagRows(targets: RoleTarget[], onlyTag?: string): TagRow[] {
  // tag → its released row, or rows (one per distinct digest: targets and targets/releases may differ)
  const released = new Map<string, Row | Row[]>();
  const rows: Row[] = [];
  let keyed = true;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as RoleTarget;
    if (!isReleased(t.role) || (onlyTag !== undefined && t.tag !== onlyTag)) continue;
    const same = released.get(t.tag);
    if (same !== undefined && rowFor(same, t) !== undefined) continue;
    const key = naturalKey(t.tag);
    if (key === undefined) keyed = false;
    const row: Row = { tag: t.tag, digest: t.sha256, signers: [], key, text: t.sha256Text };
    if (same === undefined) released.set(t.tag, row);
    else if (Array.isArray(same)) same.push(row);
    else released.set(t.tag, [same, row]);
    rows.push(row);
  }
  let lastRole = '';
  let lastName = '';
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as RoleTarget;
    if (isReleased(t.role)) continue;
    const same = released.get(t.tag);
    if (same === undefined) continue;
    const row = rowFor(same, t);
    if (row === undefined) continue;
    // targets come grouped by role
    if (t.role !== lastRole) lastName = signerName((lastRole = t.role));
    row.signers.push(lastName);
  }
  // a stable sort, as before: rows of one tag keep their first-seen order
  if (keyed) {
    rows.sort((a, b) => (a.key! < b.key! ? -1 : a.key! > b.key! ? 1 : 0));
  } else {
    const views = new Map(rows.map((r) => [r, byteView(r.tag)]));
    rows.sort((a, b) => naturalCompareBytes(views.get(a)!, views.get(b)!));
  }
  return rows;
}

/** The row of `same` (one tag's released rows) with t's digest. */
function rowFor(same: Row | Row[], t: RoleTarget): Row | undefined {
  if (!Array.isArray(same)) return sameDigest(same, t) ? same : undefined;
  for (const r of same) if (sameDigest(r, t)) return r;
  return undefined;
}

function sameDigest(r: Row, t: RoleTarget): boolean {
  return (r.text !== undefined && r.text === t.sha256Text) || r.digest === t.sha256;
}

/** A TagRow with its sort key (naturalKey of the tag) and digest text, which callers do not see. */
interface Row extends TagRow { key: string | undefined; text: string | undefined }

/** Signer name (delegation without `targets/`) → key IDs; targets/releases is not a signer. */
export function signerKeys(delegations: InspectSource['delegations']): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of delegations) {
    if (d.name === 'targets/releases' || !d.name.startsWith('targets/')) continue;
    out.set(signerName(d.name), d.keyIds);
  }
  return out;
}

export function trustRepo(name: string, src: InspectSource, onlyTag?: string): TrustRepo {
  const rows = signedTagRows(src.targets, onlyTag).map((r) => ({
    SignedTag: r.tag,
    Digest: r.digest,
    Signers: r.signers.length ? r.signers : [REPO_ADMIN],
  }));
  const signers = [...signerKeys(src.delegations)]
    .map(([Name, ids]) => ({ Name, Keys: ids.map((ID) => ({ ID })) }))
    .sort((a, b) => (a.Name > b.Name ? -1 : a.Name < b.Name ? 1 : 0));
  return {
    Name: name,
    SignedTags: rows,
    Signers: signers,
    AdministrativeKeys: [
      { Name: 'Root', Keys: src.rootKeyIds.map((ID) => ({ ID })) },
      { Name: 'Repository', Keys: src.targetsKeyIds.map((ID) => ({ ID })) },
    ],
  };
}

/**
 * A target as inspect sees it: the hex digest is decoded from the text on use (a signer's target
 * is matched to the released row on the text, so most are never decoded).
 */
class ListedTarget implements RoleTarget {
  constructor(readonly role: string, readonly tag: string, readonly sha256Text: string | undefined) {}

  get sha256(): string {
    // the text is checked strict base64 (parsed metadata) or encoded by us
    return this.sha256Text === undefined ? '' : Buffer.from(this.sha256Text, 'base64').toString('hex');
  }
}

/** What `inspect` shows, from a verified repository. */
export function inspectSource(repo: VerifiedRepo): InspectSource {
  const targets: RoleTarget[] = [];
  forEachTarget(repo.trusted, (tag, role, meta) => { targets.push(new ListedTarget(role, tag, hashBase64(meta, 'sha256'))); });
  const delegations = listDelegations(repo.trusted).map((d) => ({
    name: d.name,
    keyIds: d.keyids.map((id) => safeCanonicalId(d.keys.get(id)) ?? id),
  }));
  const root = repo.root.signed;
  return { targets, delegations, rootKeyIds: [...root.roles.root.keyids], targetsKeyIds: [...root.roles.targets.keyids] };
}

/** One repository `inspectRepos` could read: the argument as given, its tag (if any) and what inspect shows. */
export interface InspectedRepo { input: string; tag: string | undefined; source: InspectSource }

/**
 * docker trust inspect: reads each argument's repository in turn and hands it to `onRepo`. A
 * repository that cannot be read stops the walk with NOT_FOUND when `stopAtMissing` (docker's
 * --pretty); otherwise the walk goes on, and the NOT_FOUND naming every such argument is returned
 * for the caller to raise after its output (docker's JSON mode).
 */
export async function inspectRepos(
  s: Session, inputs: { input: string; ref: ImageReference }[], onRepo: (r: InspectedRepo) => void, opts: { stopAtMissing: boolean },
): Promise<VouchError | undefined> {
  const failed: string[] = [];
  let firstError: unknown;
  // The cache is written while the output is built and printed; every write is complete (and
  // fsynced) before the next repository is read and before this returns.
  let writes: Promise<void> = Promise.resolve();
  try {
    for (const { input, ref } of inputs) {
      await writes;
      let source: InspectSource | undefined;
      try {
        const v = await new RepoHandle(s, ref).load((done) => { done.catch(() => undefined); writes = done; });
        if (v !== undefined) source = inspectSource(v);
      } catch (err) {
        firstError ??= err;
      }
      if (source === undefined) {
        if (opts.stopAtMissing) throw noSignatures(input, firstError);
        failed.push(input);
        continue;
      }
      onRepo({ input, tag: ref.tag, source });
    }
  } finally {
    await writes;
  }
  return failed.length > 0 ? noSignatures(failed.join(', '), firstError) : undefined;
}

function noSignatures(what: string, cause: unknown): VouchError {
  const c = isVouchError(cause) ? cause : undefined;
  return new VouchError('NOT_FOUND', `no signatures or cannot access ${what}`, {
    ...(cause !== undefined ? { cause } : {}),
    hint: c ? `${c.message}${c.hint ? `; ${c.hint}` : ''}` : 'the repository has no trust data on this trust server',
    details: c ? { ...c.details, reason: c.code } : {},
  });
}
