// Docker's view of a repository's signed tags (docker/cli cli/command/trust/inspect.go): which tags
// targets and targets/releases sign, with the digest, and which delegations signed the same
// digest; ordered as docker orders them (github.com/fvbommel/sortorder's natural order). Shared by
// the client (`trust inspect`, `status`) and the trust server's dashboard. Pure.
import { REPO_ADMIN, isReleasedRole } from '../core/index.js';
import { forEachTarget } from './resolve.js';
import { hashHex } from './metadata.js';
import type { TrustedMetadata } from './trusted.js';

/** One signed target as found in one role of a verified repository. */
export interface RoleTarget {
  role: string;
  tag: string;
  /** lowercase hex of hashes.sha256, or '' when the target has none */
  readonly sha256: string;
}

export { REPO_ADMIN };
/** docker's signer name of a role: `Repo Admin` for targets and targets/releases, else the delegation without `targets/`. */
export const signerName = (role: string): string => (isReleasedRole(role) ? REPO_ADMIN : role.replace(/^targets\//, ''));

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
    if (!isReleasedRole(t.role) || (onlyTag !== undefined && t.tag !== onlyTag)) continue;
    const same = released.get(t.tag);
    if (same !== undefined && rowFor(same, t) !== undefined) continue;
    const key = naturalKey(t.tag);
    if (key === undefined) keyed = false;
    const row: Row = { tag: t.tag, digest: t.sha256, signers: [], key };
    if (same === undefined) released.set(t.tag, row);
    else if (Array.isArray(same)) same.push(row);
    else released.set(t.tag, [same, row]);
    rows.push(row);
  }
  let lastRole = '';
  let lastName = '';
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as RoleTarget;
    if (isReleasedRole(t.role)) continue;
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
  if (!Array.isArray(same)) return same.digest === t.sha256 ? same : undefined;
  for (const r of same) if (r.digest === t.sha256) return r;
  return undefined;
}

/** A TagRow with its sort key (naturalKey of the tag), which callers do not see. */
interface Row extends TagRow { key: string | undefined }

/** Every target of every loaded role of `tm`, in role walk order, as signedTagRows reads them. */
export function roleTargets(tm: TrustedMetadata): RoleTarget[] {
  const targets: RoleTarget[] = [];
  forEachTarget(tm, (tag, role, meta) => { targets.push({ role, tag, sha256: hashHex(meta, 'sha256') ?? '' }); });
  return targets;
}

// Natural order, as github.com/fvbommel/sortorder orders tags and signer names.

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * Natural order: runs of digits compare by numeric value (then by fewer leading zeros), everything
 * else byte-wise, and a digit sorts before a non-digit. Returns true when a sorts before b.
 */
export function naturalLess(a: string, b: string): boolean {
  return naturalLessBytes(byteView(a), byteView(b));
}

/**
 * The string naturalLessBytes compares: the string itself for ASCII (every tag and signer name),
 * otherwise a latin1 view of its UTF-8 encoding (one code unit per byte). Worth computing once per
 * string when sorting many.
 */
export function byteView(s: string): string {
  return ASCII.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/** naturalLess over byteView()s. */
export function naturalLessBytes(s1: string, s2: string): boolean {
  let i = 0;
  let j = 0;
  while (i < s1.length && j < s2.length) {
    const c1 = s1.charCodeAt(i);
    const c2 = s2.charCodeAt(j);
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i++; j++;
      continue;
    }
    while (i < s1.length && s1.charCodeAt(i) === 0x30) i++;
    while (j < s2.length && s2.charCodeAt(j) === 0x30) j++;
    const start1 = i;
    const start2 = j;
    while (i < s1.length && isDigit(s1.charCodeAt(i))) i++;
    while (j < s2.length && isDigit(s2.charCodeAt(j))) j++;
    const len1 = i - start1;
    const len2 = j - start2;
    if (len1 !== len2) return len1 < len2;
    for (let k = 0; k < len1; k++) {
      const x = s1.charCodeAt(start1 + k);
      const y = s2.charCodeAt(start2 + k);
      if (x !== y) return x < y;
    }
    if (start1 !== start2) return start1 < start2;
  }
  return s1.length - i < s2.length - j;
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * For strings of printable ASCII from '!' up where every run of digits has no leading zero (a lone
 * "0" is fine) — every docker tag without zero-padded numbers — a key whose plain code unit order
 * is naturalLess's order: each digit run becomes \x01, its length, its digits (so it sorts before
 * any other character, then by value); a lone "0" has no significant digits. Otherwise undefined:
 * compare with naturalLess.
 */
export function naturalKey(s: string): string | undefined {
  let out = '';
  let plain = 0; // start of the text not yet copied to out
  for (let i = 0; i < s.length;) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) {
      if (c < 0x21 || c > 0x7e) return undefined;
      i++;
      continue;
    }
    let j = i + 1;
    while (j < s.length && isDigit(s.charCodeAt(j))) j++;
    if (c === 0x30 && j > i + 1) return undefined; // zero-padded
    out += s.slice(plain, i) + (c === 0x30 ? '\u0001\u0000' : '\u0001' + String.fromCharCode(j - i) + s.slice(i, j));
    plain = i = j;
  }
  return plain === 0 ? s : out + s.slice(plain);
}

export function naturalCompare(a: string, b: string): number {
  if (a === b) return 0;
  return naturalCompareBytes(byteView(a), byteView(b));
}

/** naturalCompare over byteView()s. */
export function naturalCompareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return naturalLessBytes(a, b) ? -1 : naturalLessBytes(b, a) ? 1 : 0;
}

