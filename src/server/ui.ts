// The read-only dashboard (`vouch server --ui`, docs/decisions/dashboard.md): server-rendered HTML
// with inline CSS, no script and no external asset. A repository page verifies the stored metadata
// as a docker client would at this moment (root, the timestamp and snapshot the server hands out,
// then the targets tree, with tuf's own checks) and shows docker's view of it: signed tags with their
// digests and signers, keys and certificates, every expiry, and the repository's changefeed. Every
// string that comes from stored metadata or a request is HTML-escaped; every list is paged or capped.
import { createHash } from 'node:crypto';
import { RELEASES_ROLE, TARGETS_ROLE, VouchError, isVouchError, type PublicKeyData } from '../core/index.js';
import {
  REPO_ADMIN, TrustedMetadata, canonicalKeyId, certificateChain, certificateValidity, hashHex, loadTargetsTree, listDelegations, roleTargets,
  signedTagRows, type FileMeta, type TagRow, type TreeWarning,
} from '../tuf/index.js';
import type { ChangeRecord, MetadataStore } from '../storage/index.js';
import type { ExpiryEntry, ExpiryMonitor } from './expiry.js';
import type { RepoService } from './repo.js';
import { isTimestamped, type LookupResult, type ShownSignature, type SignatureLookups } from './signers.js';
import { UI_PATH, escapePath } from './routes.js';

/** Page sizes and caps: a repository with 100 000 tags still renders one bounded page. */
export const UI_LIMITS = { repositoriesPerPage: 50, tagsPerPage: 100, expiringShown: 50, timeline: 20, keysShown: 200, expiriesShown: 200, maxPage: 100_000 } as const;

export interface DashboardOptions {
  store: MetadataStore;
  /** reads as a client's GETs do (the timestamp and snapshot the server would hand out now) */
  repo: RepoService;
  expiry: ExpiryMonitor;
  now: () => Date;
  /** owner-renewed expiries within this many days are highlighted (vouch.expiry_warning_days) */
  horizonDays: number;
  /** the images' OCI signatures, for repositories the operator mapped to a registry (--ui-registry) */
  signatures?: SignatureLookups;
}

export interface HtmlAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const DAY_MS = 86_400_000;

const STYLE = `
:root{color-scheme:light}
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:0;color:#1a1a1a;background:#fff}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
header{background:#17324d;color:#fff;padding:.75rem 1.5rem}header a{color:#fff}
main{max-width:80rem;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}h2{font-size:1.25rem;margin:2rem 0 .5rem}
a{color:#0645ad}a:focus-visible{outline:3px solid #c05600;outline-offset:2px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
caption{text-align:left;font-weight:600;padding:.25rem 0;color:#333}
th,td{border:1px solid #c8c8c8;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f4}
.mono,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em;overflow-wrap:anywhere}
tr.soon td{background:#fff3cd;color:#3d2a00}tr.expired td{background:#f8d7da;color:#4a1219}
li.soon{background:#fff3cd;color:#3d2a00}li.expired{background:#f8d7da;color:#4a1219}
.badge{font-weight:700}
.note{background:#f8d7da;color:#4a1219;border:1px solid #a4303f;padding:.5rem .75rem}
.ok{color:#1e5e20}
nav.pages{margin:.5rem 0}nav.pages a{margin-right:1rem}
`;
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** No script may run, nothing is fetched, no frame may embed the page, forms only to itself. */
const HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};

/** Text for an HTML text node or a double-quoted attribute. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Marks a string as already-escaped HTML. */
class Html {
  constructor(readonly text: string) {}
}

/** Tagged template: interpolated strings are escaped, Html and arrays of Html are not. */
function html(parts: TemplateStringsArray, ...values: (string | number | Html | readonly Html[])[]): Html {
  let out = parts[0]!;
  values.forEach((v, i) => {
    if (v instanceof Html) out += v.text;
    else if (Array.isArray(v)) out += (v as readonly Html[]).map((h) => h.text).join('');
    else out += escapeHtml(String(v));
    out += parts[i + 1]!;
  });
  return new Html(out);
}

export function repositoryHref(gun: string): string {
  return `${UI_PATH}r/${escapePath(gun)}`;
}

function page(title: string, body: Html, status = 200): HtmlAnswer {
  const doc = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · vouch</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><a href="${UI_PATH}">vouch trust server</a> · read-only dashboard</header>
<main id="main">
${body}
</main>
</body>
</html>
`;
  return { status, headers: { ...HEADERS }, body: doc.text };
}

function errorPage(status: number, title: string, message: string): HtmlAnswer {
  return page(title, html`<h1>${title}</h1><p>${message}</p><p><a href="${UI_PATH}">All repositories</a></p>`, status);
}

/** `page` query parameter: 1 when absent; a malformed or absurd one is refused. */
function pageNumber(query: URLSearchParams): number | undefined {
  const p = query.get('page');
  if (p === null) return 1;
  if (!/^[1-9][0-9]{0,5}$/.test(p) || Number(p) > UI_LIMITS.maxPage) return undefined;
  return Number(p);
}

function pager(href: string, current: number, total: number, perPage: number, what: string): Html {
  const pages = Math.max(1, Math.ceil(total / perPage));
  if (pages === 1) return html``;
  const link = (n: number, label: string): Html => html`<a href="${href}?page=${n}">${label}</a>`;
  return html`<nav class="pages" aria-label="${what} pages">${current > 1 ? link(current - 1, 'Previous page') : html``}<span>Page ${current} of ${pages}</span> ${current < pages ? link(current + 1, 'Next page') : html``}</nav>`;
}

type Urgency = 'expired' | 'soon' | 'ok';

function urgency(expires: Date, now: Date, horizonMs: number): Urgency {
  const left = expires.getTime() - now.getTime();
  return left <= 0 ? 'expired' : left <= horizonMs ? 'soon' : 'ok';
}

/** `2029-12-01 10:00 UTC` in a <time> element, with how long is left (in words, never by colour alone). */
function when(d: Date, now: Date, past: 'expiry' | 'event' = 'expiry'): Html {
  const iso = d.toISOString();
  const left = d.getTime() - now.getTime();
  const days = Math.floor(Math.abs(left) / DAY_MS);
  const ago = days === 0 ? 'less than a day ago' : `${days} d ago`;
  const rel = left <= 0 ? (past === 'event' ? ago : `expired ${ago}`) : days === 0 ? 'in less than a day' : `in ${days} d`;
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time> (${rel})`;
}

function stateCell(u: Urgency, renewedBy: 'server' | 'owner'): Html {
  if (renewedBy === 'server') return html`renewed by the server`;
  if (u === 'expired') return html`<span class="badge">Expired</span>: re-sign now`;
  if (u === 'soon') return html`<span class="badge">Expires soon</span>: re-sign`;
  return html`<span class="ok">ok</span>`;
}

/**
 * The expiries of the OCI signatures of the tags on the page, for the "expiring" table: each
 * signature's own expiry, and each certificate once (by thumbprint). Their signer renews them.
 */
function signatureExpiries(gun: string, shown: readonly TagRow[], sigs: ReadonlyMap<string, LookupResult>): ExpiryEntry[] {
  const out: ExpiryEntry[] = [];
  const seen = new Set<string>();
  for (const r of shown) {
    const found = r.digest === '' ? undefined : sigs.get(`sha256:${r.digest}`);
    if (found === undefined || !('signatures' in found)) continue;
    for (const sig of found.signatures) {
      if (!sig.verifies) continue;
      if (sig.expires !== undefined && !seen.has(sig.digest)) {
        seen.add(sig.digest);
        out.push({ gun, what: `${kindName(sig.kind)} signature of ${r.tag}`, expires: new Date(sig.expires), renewedBy: 'owner' });
      }
      // a timestamped signature (or cosign's, checked at the time it carries) outlives its certificates: they end none of it
      for (const c of isTimestamped(sig) ? [] : sig.certificates) {
        const key = c.thumbprint ?? `${c.subject}\n${c.notAfter}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ gun, what: `${kindName(sig.kind)} ${c.position} certificate ${c.subject}`, expires: new Date(c.notAfter), renewedBy: 'owner' });
      }
    }
  }
  return out;
}

/** What the page says beside a signer it could not check (a key-signed cosign signature; an issuer no trust store judged). */
const unverifiedLabel = (sig: ShownSignature): Html => (sig.unverified === undefined ? html`` : html` <span class="unverified" title="${sig.unverified}">(unverified)</span>`);

/** `Notation`, `Cosign`: a signature kind as the page names it. */
const kindName = (kind: string): string => `${kind.slice(0, 1).toUpperCase()}${kind.slice(1)}`;

function rowClass(u: Urgency, renewedBy: 'server' | 'owner'): string {
  return renewedBy === 'owner' && u !== 'ok' ? u : '';
}

function timeline(records: readonly ChangeRecord[], now: Date, withGun: boolean): Html {
  if (records.length === 0) return html`<p>No changes recorded.</p>`;
  const rows = [...records].reverse().map((r) => html`<tr><td>${when(r.createdAt, now, 'event')}</td>${withGun ? html`<td><a href="${repositoryHref(r.gun)}">${r.gun}</a></td>` : html``}<td>${r.category}</td><td>${r.category === 'update' ? String(r.version) : ''}</td><td class="mono">${r.sha256.slice(0, 16)}</td></tr>`);
  return html`<table><caption>The ${records.length} newest changes (changefeed), newest first</caption>
<thead><tr><th scope="col">When</th>${withGun ? html`<th scope="col">Repository</th>` : html``}<th scope="col">Change</th><th scope="col">Timestamp version</th><th scope="col">Timestamp SHA-256 (prefix)</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

export class Dashboard {
  constructor(private readonly opts: DashboardOptions) {}

  private get horizonMs(): number {
    return this.opts.horizonDays * DAY_MS;
  }

  /** The list of repositories, what expires within the horizon across all of them, and the global changefeed. */
  async index(query: URLSearchParams): Promise<HtmlAnswer> {
    const n = pageNumber(query);
    if (n === undefined) return errorPage(400, 'Bad request', `page must be a whole number from 1 to ${UI_LIMITS.maxPage}`);
    await this.opts.expiry.refresh(true);
    const now = this.opts.now();
    const all = this.opts.expiry.repositories();
    const shown = all.slice((n - 1) * UI_LIMITS.repositoriesPerPage, n * UI_LIMITS.repositoriesPerPage);
    const expiring = this.opts.expiry.expiringWithin(this.horizonMs);
    const repoRows = shown.map((gun) => {
      const owned = this.opts.expiry.entriesOf(gun).filter((e) => e.renewedBy === 'owner');
      const first = owned[0];
      const u = first === undefined ? 'ok' : urgency(first.expires, now, this.horizonMs);
      const count = owned.filter((e) => urgency(e.expires, now, this.horizonMs) !== 'ok').length;
      return html`<tr class="${u === 'ok' ? '' : u}"><td><a href="${repositoryHref(gun)}">${gun}</a></td><td>${first === undefined ? '' : first.what}</td><td>${first === undefined ? html`` : when(first.expires, now)}</td><td>${count === 0 ? html`<span class="ok">none</span>` : html`<span class="badge">${String(count)}</span>`}</td></tr>`;
    });
    const changes = await this.opts.store.changes({ changeId: -1, records: -UI_LIMITS.timeline });
    const body = html`<h1>Repositories</h1>
<p>${all.length === 1 ? '1 repository' : `${String(all.length)} repositories`} with trust data. Highlighted: what only a key holder can renew and that expires within ${String(this.opts.horizonDays)} days (vouch.expiry_warning_days).</p>
${this.expiringTable(expiring, now, true)}
<h2 id="repositories">All repositories</h2>
<table><caption>Repositories ${shown.length === 0 ? '' : `${String((n - 1) * UI_LIMITS.repositoriesPerPage + 1)}–${String((n - 1) * UI_LIMITS.repositoriesPerPage + shown.length)}`} of ${String(all.length)}, by name</caption>
<thead><tr><th scope="col">Repository</th><th scope="col">First to expire (key holder)</th><th scope="col">Expires</th><th scope="col">Expiring within ${String(this.opts.horizonDays)} days</th></tr></thead>
<tbody>${repoRows}</tbody></table>
${pager(UI_PATH, n, all.length, UI_LIMITS.repositoriesPerPage, 'Repository')}
<h2 id="timeline">Recent changes</h2>
${timeline(changes, now, true)}`;
    return page('Repositories', body);
  }

  private expiringTable(entries: readonly ExpiryEntry[], now: Date, withGun: boolean): Html {
    const h2 = html`<h2 id="expiring">Expiring within ${String(this.opts.horizonDays)} days</h2>`;
    if (entries.length === 0) return html`${h2}<p class="ok">Nothing a key holder must renew expires within ${String(this.opts.horizonDays)} days.</p>`;
    const rows = entries.slice(0, UI_LIMITS.expiringShown).map((e) => {
      const u = urgency(e.expires, now, this.horizonMs);
      return html`<tr class="${u}">${withGun ? html`<td><a href="${repositoryHref(e.gun)}">${e.gun}</a></td>` : html``}<td>${e.what}${e.keyId ? html` <code>${e.keyId.slice(0, 12)}</code>` : html``}</td><td>${when(e.expires, now)}</td><td>${stateCell(u, e.renewedBy)}</td></tr>`;
    });
    return html`${h2}<table><caption>${String(entries.length)} expiries a key holder must renew, soonest first${entries.length > UI_LIMITS.expiringShown ? ` (the first ${String(UI_LIMITS.expiringShown)} shown)` : ''}</caption>
<thead><tr>${withGun ? html`<th scope="col">Repository</th>` : html``}<th scope="col">What</th><th scope="col">Expires</th><th scope="col">State</th></tr></thead>
<tbody>${rows}</tbody></table>`;
  }

  /** One repository as a docker client sees it now; 404 when the server holds no trust data for it. */
  async repository(gun: string, query: URLSearchParams): Promise<HtmlAnswer> {
    const n = pageNumber(query);
    if (n === undefined) return errorPage(400, 'Bad request', `page must be a whole number from 1 to ${UI_LIMITS.maxPage}`);
    await this.opts.expiry.refresh(true);
    const now = this.opts.now();
    const view = await this.verify(gun, now);
    if (view === undefined) return errorPage(404, 'No such repository', `The server holds no trust data for ${gun}.`);
    const href = repositoryHref(gun);
    const sections: Html[] = [html`<h1>${gun}</h1>`];
    if (view.error !== undefined) {
      sections.push(html`<p class="note" role="alert"><strong>Clients cannot verify this repository now</strong> (${view.error.code}): ${view.error.message}</p>`);
    } else {
      sections.push(html`<p class="ok">Verifies as a docker client would now: root, timestamp, snapshot and the targets tree.</p>`);
    }
    const entries = this.opts.expiry.entriesOf(gun);
    const rows = view.tm === undefined ? [] : signedTagRows(roleTargets(view.tm));
    const shown = rows.slice((n - 1) * UI_LIMITS.tagsPerPage, n * UI_LIMITS.tagsPerPage);
    const image = this.opts.signatures?.imageOf(gun);
    const sigs = view.tm === undefined ? undefined : await this.opts.signatures?.forDigests(gun, shown.filter((r) => r.digest !== '').map((r) => `sha256:${r.digest}`));
    const expiring = [...entries, ...(sigs === undefined ? [] : signatureExpiries(gun, shown, sigs))]
      .filter((e) => e.renewedBy === 'owner' && e.expires.getTime() - now.getTime() <= this.horizonMs)
      .sort((a, b) => a.expires.getTime() - b.expires.getTime());
    sections.push(this.expiringTable(expiring, now, false));
    if (view.tm !== undefined) {
      sections.push(this.tagsSection(view.tm, rows, shown, href, n, now, sigs));
      if (image !== undefined && sigs !== undefined) sections.push(this.signaturesSection(image, shown, sigs, now));
    }
    sections.push(this.expirySection(entries, view.skipped, now));
    if (view.tm !== undefined) sections.push(this.keysSection(view.tm, now));
    const changes = await this.opts.store.changes({ gun, changeId: -1, records: -UI_LIMITS.timeline });
    sections.push(html`<h2 id="timeline">Changes</h2>${timeline(changes, now, false)}`);
    return page(gun, html`${sections}`);
  }

  /** The client workflow over what the server would hand out: root → timestamp → snapshot → targets tree. */
  private async verify(gun: string, now: Date): Promise<{ tm?: TrustedMetadata; skipped: TreeWarning[]; error?: VouchError } | undefined> {
    const rootFile = await this.opts.repo.getCurrent(gun, 'root');
    if (rootFile === undefined) return undefined;
    const fetch = async (role: string, meta: FileMeta): Promise<Uint8Array> => {
      const sha = hashHex(meta, 'sha256');
      const file = sha === undefined ? await this.opts.repo.getCurrent(gun, role) : await this.opts.repo.getChecksum(gun, role, sha);
      if (file === undefined) throw new VouchError('METADATA_NOT_FOUND', `${role} is listed but not stored`, { details: { role } });
      return file.data;
    };
    let tm: TrustedMetadata | undefined;
    try {
      tm = TrustedMetadata.fromRoot(rootFile.data, { gun, now });
      const ts = await this.opts.repo.getCurrent(gun, 'timestamp');
      if (ts === undefined) throw new VouchError('METADATA_NOT_FOUND', 'no timestamp is stored');
      tm.updateTimestamp(ts.data);
      tm.updateSnapshot(await fetch('snapshot', tm.timestamp!.signed.snapshot));
      const { warnings } = await loadTargetsTree(tm, fetch);
      return { tm, skipped: warnings };
    } catch (err) {
      if (!isVouchError(err)) throw err;
      return { skipped: [], error: err };
    }
  }

  private tagsSection(tm: TrustedMetadata, rows: readonly TagRow[], shown: readonly TagRow[], href: string, n: number, now: Date, sigs?: ReadonlyMap<string, LookupResult>): Html {
    const expiresOf = (role: string): Date | undefined => tm.targetsRole(role)?.metadata.signed.expires;
    const releases = tm.targetsRole(RELEASES_ROLE)?.metadata.signed.targets;
    const targetsExpires = tm.targets!.signed.expires;
    const body = shown.map((r) => {
      // the tag stops verifying when targets, or targets/releases that holds it, expires
      const releasedBy = releases?.has(r.tag) === true ? RELEASES_ROLE : TARGETS_ROLE;
      const rel = expiresOf(releasedBy) ?? targetsExpires;
      const expires = rel < targetsExpires ? rel : targetsExpires;
      const u = urgency(expires, now, this.horizonMs);
      const signers = (r.signers.length > 0 ? r.signers : [REPO_ADMIN]).map((name) => {
        const until = name === REPO_ADMIN ? undefined : expiresOf(`targets/${name}`);
        return html`<li>${name}${until === undefined ? html`` : html`, signature valid until ${when(until, now)}`}</li>`;
      });
      const found = r.digest === '' ? undefined : sigs?.get(`sha256:${r.digest}`);
      if (found !== undefined && 'signatures' in found) {
        for (const sig of found.signatures) {
          const ends = sig.validUntil === undefined ? undefined : new Date(sig.validUntil);
          const su = !sig.verifies ? 'expired' : ends === undefined ? 'ok' : urgency(ends, now, this.horizonMs);
          const validity = !sig.verifies ? html` <span class="badge">Does not verify</span>`
            : ends === undefined ? html`, no expiry`
              : html`, valid until ${when(ends, now)}${su === 'ok' ? html`` : html` <span class="badge">${su === 'expired' ? 'Expired' : 'Expires soon'}</span>`}`;
          signers.push(html`<li class="signature ${su === 'ok' ? '' : su}">${kindName(sig.kind)}: ${sig.signer ?? 'unknown signer'}${unverifiedLabel(sig)}${validity}</li>`);
        }
      }
      return html`<tr class="${u === 'ok' ? '' : u}"><th scope="row">${r.tag}</th><td class="mono">sha256:${r.digest}</td><td><ul>${signers}</ul></td><td>${when(expires, now)}${u === 'ok' ? html`` : html` <span class="badge">${u === 'expired' ? 'Expired' : 'Expires soon'}</span>`}</td></tr>`;
    });
    return html`<h2 id="tags">Signed tags</h2>
<table><caption>${String(rows.length)} signed tags (docker's view: released in targets or targets/releases), in natural order${rows.length > UI_LIMITS.tagsPerPage ? `; page ${String(n)}` : ''}</caption>
<thead><tr><th scope="col">Tag</th><th scope="col">Digest</th><th scope="col">Signers</th><th scope="col">Verifies until</th></tr></thead>
<tbody>${body}</tbody></table>
${pager(href, n, rows.length, UI_LIMITS.tagsPerPage, 'Tag')}`;
  }

  /** Per tag on this page, each OCI signature: its signer, its own expiry and every certificate of its chain, highlighted within the horizon. */
  private signaturesSection(image: string, shown: readonly TagRow[], sigs: ReadonlyMap<string, LookupResult>, now: Date): Html {
    const rows: Html[] = [];
    /** signature digest → kind */
    const seen = new Map<string, string>();
    for (const r of shown) {
      const found = r.digest === '' ? undefined : sigs.get(`sha256:${r.digest}`);
      if (found === undefined) continue;
      const tag = html`<th scope="row">${r.tag}</th>`;
      if ('pending' in found) { rows.push(html`<tr>${tag}<td colspan="5">Not read yet: ${found.pending}</td></tr>`); continue; }
      if (found.error !== undefined) { rows.push(html`<tr class="expired">${tag}<td colspan="5"><span class="badge">Could not be read</span> (${found.error.code}): ${found.error.message}</td></tr>`); continue; }
      for (const sig of found.signatures) {
        seen.set(sig.digest, sig.kind);
        const line = (what: Html | string, expires: Date | undefined, u: Urgency, state: Html): Html =>
          html`<tr class="${u === 'ok' ? '' : u}">${tag}<td>${kindName(sig.kind)}</td><td>${sig.signer ?? 'unknown signer'}${unverifiedLabel(sig)}</td><td>${what}</td><td>${expires === undefined ? 'never' : when(expires, now)}</td><td>${state}</td></tr>`;
        if (!sig.verifies) { rows.push(line('the signature', undefined, 'expired', html`<span class="badge">Does not verify</span>: ${sig.problem ?? ''}`)); continue; }
        if (sig.expires !== undefined) {
          const d = new Date(sig.expires);
          const u = urgency(d, now, this.horizonMs);
          rows.push(line('the signature', d, u, stateCell(u, 'owner')));
        } else {
          rows.push(line('the signature', undefined, 'ok', html`<span class="ok">ok</span> (no expiry set)`));
        }
        const timestamped = isTimestamped(sig);
        if (sig.timestamp !== undefined) {
          rows.push(line('its RFC 3161 timestamp', undefined, 'ok', timestamped
            ? html`<span class="ok">ok</span>: ${sig.timestamp.time ?? ''} by <span class="mono">${sig.timestamp.authority ?? 'its TSA'}</span>; the signature verifies after its certificates expire where the trust policy has a tsa trust store`
            : html`does not count: ${sig.timestamp.problem ?? ''}`));
        }
        for (const c of sig.certificates) {
          const d = new Date(c.notAfter);
          // checked at the time the signature carries (cosign's log entry or timestamp): its expiry breaks nothing
          if (sig.timeSource !== undefined) {
            rows.push(line(html`${c.position} certificate <span class="mono">${c.subject}</span>`, d, 'ok', html`<span class="ok">ok</span> (checked at the ${sig.timeSource} time the signature carries)`));
            continue;
          }
          const u = timestamped ? 'ok' : urgency(d, now, this.horizonMs);
          rows.push(line(html`${c.position} certificate <span class="mono">${c.subject}</span>`, d, u, timestamped ? html`<span class="ok">covered by the timestamp</span>` : stateCell(u, 'owner')));
        }
      }
      if (found.more) rows.push(html`<tr>${tag}<td colspan="5">More signatures are attached than were read.</td></tr>`);
    }
    const counts = [...new Set([...seen.values()])].map((kind) => {
      const n = [...seen.values()].filter((k) => k === kind).length;
      return `${String(n)} ${kind === 'notation' ? 'Notation' : kind} signature${n === 1 ? '' : 's'}`;
    });
    return html`<h2 id="signatures">OCI signatures (Notation, cosign)</h2>
<table><caption>${counts.length === 0 ? '0 OCI signatures' : counts.join(' and ')} of the tags on this page, read from ${image} (kept for up to 5 minutes); each certificate of their chains, highlighted within ${String(this.opts.horizonDays)} days</caption>
<thead><tr><th scope="col">Tag</th><th scope="col">Kind</th><th scope="col">Signer</th><th scope="col">Signature or certificate</th><th scope="col">Expires</th><th scope="col">State</th></tr></thead>
<tbody>${rows}</tbody></table>`;
  }

  private expirySection(entries: readonly ExpiryEntry[], skipped: readonly TreeWarning[], now: Date): Html {
    const rows = entries.slice(0, UI_LIMITS.expiriesShown).map((e) => {
      const u = urgency(e.expires, now, this.horizonMs);
      const skip = skipped.find((w) => w.role === e.what);
      return html`<tr class="${rowClass(u, e.renewedBy)}"><th scope="row">${e.what}${e.keyId ? html` <code>${e.keyId.slice(0, 12)}</code>` : html``}</th><td>${when(e.expires, now)}</td><td>${e.renewedBy === 'server' ? 'the trust server' : 'its key holder'}</td><td>${stateCell(u, e.renewedBy)}${skip === undefined ? html`` : html`; clients skip it (${skip.error.code})`}</td></tr>`;
    });
    return html`<h2 id="expiry">Expiry of every role and root certificate</h2>
<table><caption>${String(entries.length)} stored roles and root certificates, soonest first${entries.length > UI_LIMITS.expiriesShown ? ` (the first ${String(UI_LIMITS.expiriesShown)} shown)` : ''}</caption>
<thead><tr><th scope="col">Role or certificate</th><th scope="col">Expires</th><th scope="col">Renewed by</th><th scope="col">State</th></tr></thead>
<tbody>${rows}</tbody></table>`;
  }

  private keysSection(tm: TrustedMetadata, now: Date): Html {
    const root = tm.root.signed;
    const keys: { role: string; id: string; key: PublicKeyData | undefined }[] = [];
    for (const role of ['root', 'targets', 'snapshot', 'timestamp'] as const) {
      for (const id of root.roles[role].keyids) keys.push({ role, id, key: root.keys.get(id) });
    }
    for (const d of listDelegations(tm)) {
      for (const id of d.keyids) {
        const key = d.keys.get(id);
        // docker lists signer keys by their canonical ID (the bare key inside a certificate)
        let shown = id;
        try { if (key !== undefined) shown = canonicalKeyId(key); } catch { /* keep the listed ID */ }
        keys.push({ role: d.name, id: shown, key });
      }
    }
    const rows = keys.slice(0, UI_LIMITS.keysShown).map(({ role, id, key }) => {
      let cert: Html = html`no certificate`;
      let u: Urgency = 'ok';
      if (key !== undefined && key.keytype.endsWith('-x509')) {
        try {
          const notAfter = certificateValidity(certificateChain(key).leaf).notAfter;
          u = urgency(notAfter, now, this.horizonMs);
          cert = when(notAfter, now);
        } catch {
          cert = html`certificate does not parse`;
        }
      }
      return html`<tr class="${u === 'ok' ? '' : u}"><td>${role}</td><td class="mono">${id}</td><td>${key?.keytype ?? 'unknown'}</td><td>${cert}</td></tr>`;
    });
    return html`<h2 id="keys">Keys and certificates</h2>
<table><caption>${String(keys.length)} keys of root, targets, snapshot, timestamp and the delegations${keys.length > UI_LIMITS.keysShown ? ` (the first ${String(UI_LIMITS.keysShown)} shown)` : ''}</caption>
<thead><tr><th scope="col">Role</th><th scope="col">Key ID</th><th scope="col">Type</th><th scope="col">Certificate expires</th></tr></thead>
<tbody>${rows}</tbody></table>`;
  }
}
