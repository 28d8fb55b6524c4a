// Expiry signals of the trust server: for every repository it stores, when each role's current
// metadata and each root certificate expire, as Prometheus gauges, and a log warning ahead of each
// expiry the server cannot fix by itself (root, targets, delegations, and the snapshot when the
// server does not hold its key). The state follows the store's changefeed, so instances sharing
// one database report the same repositories, and a scrape reads only what changed.
import type { MetadataStore, ServerKeyStore } from '../storage/index.js';
import { family, labels } from '../httpd/index.js';
import { certificateChain, certificateValidity, hashHex, parseMetadata, parseRoot, type Targets } from '../tuf/index.js';

/** Days ahead that the server warns of expiries only a key holder can fix (vouch.expiry_warning_days). */
export const DEFAULT_EXPIRY_WARNING_DAYS = 30;

export interface ExpiryEntry {
  gun: string;
  /** role name, or `root certificate` */
  what: string;
  /** certificates: the root key ID */
  keyId?: string;
  expires: Date;
  /** the server re-signs it when needed (timestamp, and snapshot when it holds that key) */
  renewedBy: 'server' | 'owner';
}

export interface ExpiryMonitorOptions {
  store: MetadataStore;
  keyStore: ServerKeyStore;
  now: () => Date;
  /** a scrape reads the changefeed at most this often (default 30 s) */
  minRefreshMs?: number;
}

const PAGE = 1000;
/** Image digests kept per repository, for the gauges of their OCI signatures (as `vouch status` reads at most 50 images). */
export const MAX_DIGESTS_PER_REPOSITORY = 50;


export class ExpiryMonitor {
  private readonly byGun = new Map<string, ExpiryEntry[]>();
  /** the distinct image digests (`sha256:…`) the targets roles sign, per repository */
  private readonly digestsByGun = new Map<string, string[]>();
  private lastChange = 0;
  private lastRefresh = -Infinity;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly opts: ExpiryMonitorOptions) {}

  /** Reads the changes since the last refresh and re-reads the repositories they name. */
  refresh(force = false): Promise<void> {
    const now = this.opts.now().getTime();
    if (!force && now - this.lastRefresh < (this.opts.minRefreshMs ?? 30_000)) return Promise.resolve();
    this.refreshing ??= this.readChanges().finally(() => { this.refreshing = undefined; this.lastRefresh = this.opts.now().getTime(); });
    return this.refreshing;
  }

  private async readChanges(): Promise<void> {
    const changed = new Set<string>();
    for (;;) {
      const page = await this.opts.store.changes({ changeId: this.lastChange, records: PAGE });
      for (const c of page) { changed.add(c.gun); this.lastChange = Math.max(this.lastChange, c.id); }
      if (page.length < PAGE) break;
    }
    for (const gun of changed) {
      const { entries, digests } = await this.read(gun);
      if (entries.length === 0) { this.byGun.delete(gun); this.digestsByGun.delete(gun); } else { this.byGun.set(gun, entries); this.digestsByGun.set(gun, digests); }
    }
  }

  /**
   * The current expiries of one repository, and the image digests its targets roles sign; a file
   * that does not parse is left out (the store holds only validated metadata).
   */
  private async read(gun: string): Promise<{ entries: ExpiryEntry[]; digests: string[] }> {
    const files = await this.opts.store.listCurrent(gun);
    const out: ExpiryEntry[] = [];
    const digests = new Set<string>();
    const rootFile = files.find((f) => f.role === 'root');
    let serverHoldsSnapshot = false;
    if (rootFile !== undefined) {
      try {
        const root = parseRoot(rootFile.data);
        out.push({ gun, what: 'root', expires: root.signed.expires, renewedBy: 'owner' });
        for (const id of root.signed.roles.root.keyids) {
          const key = root.signed.keys.get(id);
          if (key === undefined || !key.keytype.endsWith('-x509')) continue;
          out.push({ gun, what: 'root certificate', keyId: id, expires: certificateValidity(certificateChain(key).leaf).notAfter, renewedBy: 'owner' });
        }
        const held = await this.opts.keyStore.listKeys(gun, 'snapshot');
        serverHoldsSnapshot = held.some((k) => root.signed.roles.snapshot.keyids.includes(k.keyId));
      } catch { /* validated on write: nothing to report if it does not parse now */ }
    }
    for (const f of files) {
      if (f.role === 'root') continue;
      try {
        const md = parseMetadata(f.data, f.role);
        const renewedBy = f.role === 'timestamp' || (f.role === 'snapshot' && serverHoldsSnapshot) ? 'server' : 'owner';
        out.push({ gun, what: f.role, expires: md.signed.expires, renewedBy });
        if (f.role === 'targets' || f.role.startsWith('targets/')) {
          for (const meta of (md.signed as Targets).targets.values()) {
            const hex = hashHex(meta, 'sha256');
            if (hex !== undefined && digests.size < MAX_DIGESTS_PER_REPOSITORY) digests.add(`sha256:${hex}`);
          }
        }
      } catch { /* as above */ }
    }
    return { entries: out, digests: [...digests] };
  }

  /** The image digests one repository's targets roles sign (as of the last refresh; at most MAX_DIGESTS_PER_REPOSITORY). */
  digestsOf(gun: string): string[] {
    return [...(this.digestsByGun.get(gun) ?? [])];
  }

  /** The repositories the server holds metadata for (as of the last refresh), sorted. */
  repositories(): string[] {
    return [...this.byGun.keys()].sort();
  }

  /** One repository's expiries (as of the last refresh), soonest first. */
  entriesOf(gun: string): ExpiryEntry[] {
    return [...(this.byGun.get(gun) ?? [])].sort((a, b) => a.expires.getTime() - b.expires.getTime());
  }

  entries(): ExpiryEntry[] {
    return [...this.byGun.values()].flat();
  }

  /** What the owners must renew within `horizonMs` (or already expired), soonest first. */
  expiringWithin(horizonMs: number): ExpiryEntry[] {
    const limit = this.opts.now().getTime() + horizonMs;
    return this.entries().filter((e) => e.renewedBy === 'owner' && e.expires.getTime() <= limit).sort((a, b) => a.expires.getTime() - b.expires.getTime());
  }

  /** Prometheus gauges (unix seconds), one per role and root certificate of every repository. */
  gaugeLines(): string[] {
    const roles: string[] = [];
    const certs: string[] = [];
    for (const e of this.entries()) {
      const seconds = Math.floor(e.expires.getTime() / 1000);
      if (e.what === 'root certificate') {
        certs.push(`vouch_server_root_certificate_expiry_timestamp_seconds${labels({ gun: e.gun, key_id: e.keyId ?? '' })} ${seconds}`);
      } else {
        roles.push(`vouch_server_metadata_expiry_timestamp_seconds${labels({ gun: e.gun, role: e.what, renewed_by: e.renewedBy })} ${seconds}`);
      }
    }
    return [
      ...family('vouch_server_metadata_expiry_timestamp_seconds', 'gauge',
        'When the current metadata of a role expires (unix seconds); renewed_by="server" is re-signed by the server itself.', roles),
      ...family('vouch_server_root_certificate_expiry_timestamp_seconds', 'gauge', 'When a repository\'s root certificate expires (unix seconds).', certs),
    ];
  }
}
