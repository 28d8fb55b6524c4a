// The OCI signatures (Notation, cosign) the dashboard shows next to each tag's DCT
// signers. The server reads no registry itself: the process that starts it hands in a reader (the
// CLI wires the client's, the one `vouch status` uses), and the operator names which repositories
// live in which registry (`--ui-registry`, vouch.ui_registries), so a publisher who picks a GUN
// cannot make the server call a host of its choosing. Every lookup is cached, bounded in number
// and in flight, and a page waits for them only so long: a slow or dead registry makes the page
// say "not read yet", never hang (docs/decisions/dashboard.md).
import { Semaphore, VouchError } from '../core/index.js';
import { family, labels } from '../httpd/index.js';

/** One signature as the dashboard shows it (a subset of the client's SignatureStatus; times ISO 8601). */
export interface ShownSignature {
  kind: string;
  /** the signature manifest's digest */
  digest: string;
  signer?: string;
  verifies: boolean;
  problem?: string;
  /** the signature's own expiry */
  expires?: string;
  /** when it stops verifying: the earliest of its own expiry and its certificates' (only its own expiry when its timestamp holds) */
  validUntil?: string;
  /** its RFC 3161 timestamp (Notation): `problem` when it does not hold */
  timestamp?: { time?: string; authority?: string; problem?: string };
  /** what could not be checked without a key or trusted root: the page labels the signer unverified */
  unverified?: string;
  /** cosign: its certificates are checked at the time the signature carries, so their expiry breaks nothing */
  timeSource?: string;
  certificates: { position: string; subject: string; notAfter: string; thumbprint?: string }[];
}

/**
 * Its certificates' expiry no longer ends it: its Notation timestamp holds (for verifiers with a tsa
 * trust store), or cosign checks them at the time it carries (its log entry or timestamp).
 */
export const isTimestamped = (sig: ShownSignature): boolean => (sig.timestamp !== undefined && sig.timestamp.problem === undefined) || sig.timeSource !== undefined;

/** What a reader found for one image. */
export interface ImageSignaturesRead {
  signatures: ShownSignature[];
  /** more are attached than were read */
  more: boolean;
  /** the registry could not be read */
  error?: { code: string; message: string };
}

/** Reads the signatures of `image` (`registry/repository`) at manifest `digest`. */
export type SignatureReader = (image: string, digest: string) => Promise<ImageSignaturesRead>;

/** GUNs under `gunPrefix` are images under `imagePrefix` (the same name when none is given). */
export interface RegistryMapping {
  gunPrefix: string;
  imagePrefix: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}$/;

/** `GUN_PREFIX` or `GUN_PREFIX=IMAGE_PREFIX` (whole path components; a trailing / is dropped). */
export function parseRegistryMapping(text: string): RegistryMapping {
  const [gun = '', image = gun, ...rest] = text.trim().split('=');
  const gunPrefix = gun.replace(/\/+$/, '');
  const imagePrefix = image.replace(/\/+$/, '');
  if (rest.length > 0 || !NAME.test(gunPrefix) || !NAME.test(imagePrefix) || gunPrefix.includes('//') || imagePrefix.includes('//')) {
    throw new VouchError('CONFIG', `vouch.ui_registries: ${JSON.stringify(text)} is not GUN_PREFIX or GUN_PREFIX=REGISTRY/PATH`, {
      hint: 'e.g. registry.example.com/team (those GUNs are image names) or docker.io/team=mirror.internal:5000/team',
    });
  }
  return { gunPrefix, imagePrefix };
}

/** Where the images of `gun` are, by the longest matching prefix; undefined when the operator did not say. */
export function imageOf(mappings: readonly RegistryMapping[], gun: string): string | undefined {
  let best: RegistryMapping | undefined;
  for (const m of mappings) {
    if ((gun === m.gunPrefix || gun.startsWith(`${m.gunPrefix}/`)) && (best === undefined || m.gunPrefix.length > best.gunPrefix.length)) best = m;
  }
  return best === undefined ? undefined : `${best.imagePrefix}${gun.slice(best.gunPrefix.length)}`;
}

export interface SignatureLookupOptions {
  reader: SignatureReader;
  mappings: readonly RegistryMapping[];
  now: () => Date;
  /** how long a read stays fresh (default 5 minutes) */
  ttlMs?: number;
  /** how long a failed read is remembered (default 30 s), so a dead registry is not asked on every page */
  failureTtlMs?: number;
  /** cached images (default 10 000; the oldest go first) */
  maxEntries?: number;
  /** reads in flight at once (default 4) and waiting (default 200) */
  concurrency?: number;
  maxQueued?: number;
  /** how long one page waits for its reads (default 3 s); the rest land in the cache for the next page */
  pageBudgetMs?: number;
}

/** A tag's signatures for the page: read, or not (yet). */
export type LookupResult = ImageSignaturesRead | { pending: string };

interface Entry { at: number; value: ImageSignaturesRead }

export class SignatureLookups {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Registry reads at once (`concurrency`, default 4); the rest wait, at most `maxQueued`. */
  private readonly reads: Semaphore;

  constructor(private readonly opts: SignatureLookupOptions) {
    this.reads = new Semaphore(opts.concurrency ?? 4);
  }

  /** Where `gun`'s images are; undefined when the dashboard shows no OCI signatures for it. */
  imageOf(gun: string): string | undefined {
    return imageOf(this.opts.mappings, gun);
  }

  /** The signatures of each digest (`sha256:…`) of `gun`'s images, as far as they could be read within the page's budget. */
  async forDigests(gun: string, digests: readonly string[]): Promise<Map<string, LookupResult> | undefined> {
    return (await this.forRepositories([{ gun, digests }])).get(gun);
  }

  /**
   * The same for several repositories at once (the metrics scrape), within one budget; repositories
   * the operator did not map are left out.
   */
  async forRepositories(wanted: readonly { gun: string; digests: readonly string[] }[]): Promise<Map<string, Map<string, LookupResult>>> {
    const mapped = wanted.flatMap(({ gun, digests }) => {
      const image = this.imageOf(gun);
      return image === undefined ? [] : [{ gun, image, digests: [...new Set(digests)] }];
    });
    const reads = mapped.flatMap(({ image, digests }) => digests.map((d) => this.read(image, d)));
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.opts.pageBudgetMs ?? 3000); });
    try {
      await Promise.race([Promise.all(reads), budget]);
    } finally {
      clearTimeout(timer);
    }
    const out = new Map<string, Map<string, LookupResult>>();
    for (const { gun, image, digests } of mapped) {
      const found = new Map<string, LookupResult>();
      for (const d of digests) {
        const hit = this.fresh(`${image}@${d}`);
        found.set(d, hit ?? { pending: this.inFlight.has(`${image}@${d}`) ? 'still being read from the registry; reload the page' : 'not read: too many registry reads are waiting' });
      }
      out.set(gun, found);
    }
    return out;
  }

  private fresh(key: string): ImageSignaturesRead | undefined {
    const e = this.cache.get(key);
    if (e === undefined) return undefined;
    const ttl = e.value.error === undefined ? (this.opts.ttlMs ?? 300_000) : (this.opts.failureTtlMs ?? 30_000);
    return this.opts.now().getTime() - e.at <= ttl ? e.value : undefined;
  }

  /** Resolves when the cache holds a fresh answer for the image (or the read could not be queued). */
  private read(image: string, digest: string): Promise<void> {
    const key = `${image}@${digest}`;
    if (this.fresh(key) !== undefined) return Promise.resolve();
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    if (this.reads.waiting >= (this.opts.maxQueued ?? 200)) return Promise.resolve();
    const p = this.reads.run(() => this.opts.reader(image, digest))
      .catch((err: unknown): ImageSignaturesRead => ({ signatures: [], more: false, error: { code: (err as { code?: string }).code ?? 'INTERNAL', message: (err as Error).message } }))
      .then((value) => { this.remember(key, value); })
      .finally(() => { this.inFlight.delete(key); });
    this.inFlight.set(key, p);
    return p;
  }

  private remember(key: string, value: ImageSignaturesRead): void {
    this.cache.delete(key);
    this.cache.set(key, { at: this.opts.now().getTime(), value });
    const max = this.opts.maxEntries ?? 10_000;
    for (const k of this.cache.keys()) {
      if (this.cache.size <= max) break;
      this.cache.delete(k);
    }
  }

}


const seconds = (iso: string): number => Math.floor(new Date(iso).getTime() / 1000);

/**
 * Prometheus gauges (unix seconds) of the OCI signatures the server has read, per repository:
 * when each signature stops verifying (timestamp-aware: a signature whose RFC 3161 timestamp
 * holds ends only with its own expiry, and has no gauge when it has none), when each certificate
 * of their chains expires (once per repository and thumbprint; `timestamped="true"` when every
 * signature carrying it is timestamped, so its expiry ends none of them), and the images whose
 * signatures could not be read.
 */
export function signatureGaugeLines(read: ReadonlyMap<string, ReadonlyMap<string, LookupResult>>): string[] {
  const valid: string[] = [];
  const certs: string[] = [];
  const failed: string[] = [];
  for (const [gun, images] of [...read].sort(([a], [b]) => a.localeCompare(b))) {
    const perCert = new Map<string, { l: Record<string, string>; notAfter: string; timestamped: boolean }>();
    for (const [image, found] of images) {
      if ('pending' in found) continue;
      if (found.error !== undefined) { failed.push(`vouch_server_signature_read_failed${labels({ gun, image, code: found.error.code })} 1`); continue; }
      for (const sig of found.signatures) {
        if (!sig.verifies) {
          valid.push(`vouch_server_signature_valid_until_timestamp_seconds${labels({ gun, image, kind: sig.kind, signature: sig.digest })} 0`);
          continue;
        }
        if (sig.validUntil !== undefined) valid.push(`vouch_server_signature_valid_until_timestamp_seconds${labels({ gun, image, kind: sig.kind, signature: sig.digest })} ${seconds(sig.validUntil)}`);
        for (const c of sig.certificates) {
          const key = c.thumbprint ?? `${c.subject}\n${c.notAfter}`;
          const seen = perCert.get(key);
          if (seen !== undefined) { seen.timestamped &&= isTimestamped(sig); continue; }
          perCert.set(key, { l: { gun, kind: sig.kind, position: c.position, subject: c.subject, thumbprint: c.thumbprint ?? '' }, notAfter: c.notAfter, timestamped: isTimestamped(sig) });
        }
      }
    }
    for (const c of perCert.values()) certs.push(`vouch_server_signature_certificate_expiry_timestamp_seconds${labels({ ...c.l, timestamped: String(c.timestamped) })} ${seconds(c.notAfter)}`);
  }
  return [
    ...family('vouch_server_signature_valid_until_timestamp_seconds', 'gauge',
      'When an OCI signature of a repository\'s image stops verifying (unix seconds; 0: it does not verify); a signature whose RFC 3161 timestamp holds ends only with its own expiry.', valid),
    ...family('vouch_server_signature_certificate_expiry_timestamp_seconds', 'gauge',
      'When a certificate of an OCI signature\'s chain expires (unix seconds); timestamped="true": every signature carrying it is timestamped, so its expiry ends none of them.', certs),
    ...family('vouch_server_signature_read_failed', 'gauge', 'An image whose OCI signatures could not be read from its registry (1).', failed),
  ];
}
