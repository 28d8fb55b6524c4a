// `docker trust inspect` (spec §4.4, §4.5): which tags are signed, by whom, with which keys,
// laid out exactly as docker ≤ v28 prints them, as JSON and as --pretty text.
import { byteView, naturalCompare, naturalCompareBytes, naturalKey, tabwrite } from './textutil.js';

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

const REPO_ADMIN = 'Repo Admin';
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

/** docker prints the list with Go's json.MarshalIndent(…, "", "    ") and a newline. */
export function formatInspectJson(repos: TrustRepo[]): string {
  return JSON.stringify(repos, null, 4).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

const MINWIDTH = 10;
const PADDING = 3;

/** The --pretty text for one repository. */
export function formatInspectPretty(name: string, src: InspectSource, onlyTag?: string): string {
  let out = '';
  const rows = signedTagRows(src.targets, onlyTag);
  if (rows.length > 0) {
    out += `\nSignatures for ${name}\n\n`;
    let table = 'SIGNED TAG\tDIGEST\tSIGNERS\n';
    for (const r of rows) {
      const signers = r.signers.length ? [...r.signers].sort().join(', ') : `(${REPO_ADMIN})`;
      table += `${r.tag}\t${r.digest}\t${signers}\n`;
    }
    out += tabwrite(table, MINWIDTH, PADDING);
  } else {
    out += `\nNo signatures for ${name}\n\n`;
  }
  const signers = signerKeys(src.delegations);
  if (signers.size > 0) {
    out += `\nList of signers and their keys for ${name}\n\n`;
    let table = 'SIGNER\tKEYS\n';
    for (const s of [...signers.keys()].sort(naturalCompare)) {
      const ids = (signers.get(s) ?? []).map((id) => id.slice(0, 12)).sort();
      table += `${s}\t${ids.join(', ')}\n`;
    }
    out += tabwrite(table, MINWIDTH, PADDING);
  }
  out += `\nAdministrative keys for ${name}\n\n`;
  out += `  Repository Key:\t${[...src.targetsKeyIds].sort().join(', ')}\n`;
  out += `  Root Key:\t${[...src.rootKeyIds].sort().join(', ')}\n`;
  return out;
}
