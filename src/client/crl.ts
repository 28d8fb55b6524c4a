// CRLs for the revocation check: fetched over http only (as notation-core-go revocation/crl/
// fetcher.go fetchCRL; https CRLs are refused there too) through vouch's HTTP client, at most
// 32 MiB, and kept in notation's own CRL cache (notation-go verifier/crl/crl.go FileCache:
// `<cache>/notation/crl/<sha256 hex of the URL>`, JSON {"baseCRL": base64 DER}), so vouch and
// notation share it. A cached CRL is used until its nextUpdate; `offline` uses only the cache.
// What is cached is only what was fetched; each use verifies the CRL against its issuer again.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VouchError, isJsonObject, parseJson, sha256 } from '../core/index.js';
import { writeFileAtomic } from '../files/index.js';
import type { HttpTransport } from '../http/index.js';
import { MAX_CRL_BYTES, parseCrl, type CrlFetcher } from '../sig/index.js';
import type { Env } from './dockerenv.js';

/** notation's CRL cache directory (notation-go dir.CacheFS + PathCRLCache): $XDG_CACHE_HOME/notation/crl or ~/.cache/notation/crl. */
export function notationCrlCacheDir(env: Env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'notation', 'crl');
}

export interface CrlSourceOptions {
  /** absent: no cache */
  cacheDir?: string;
  /** only the cache; a CRL not cached (or past its nextUpdate) is unavailable */
  offline?: boolean;
  transport?: HttpTransport;
  now: () => Date;
  /** cache write failures are not fatal (notation discards them); they are reported here */
  warn?: (message: string) => void;
}

const cacheFile = (dir: string, url: string): string => join(dir, sha256(Buffer.from(url)).toString('hex'));

async function readCached(dir: string, url: string, now: Date): Promise<Buffer | undefined> {
  let raw: Buffer;
  try { raw = await readFile(cacheFile(dir, url)); } catch { return undefined; }
  if (raw.byteLength > MAX_CRL_BYTES * 2) return undefined;
  try {
    const doc = parseJson(raw, { what: 'a cached CRL' });
    if (!isJsonObject(doc) || typeof doc.baseCRL !== 'string') return undefined;
    if (doc.deltaCRL !== undefined) return undefined; // delta CRLs: not supported, fetch again
    const der = Buffer.from(doc.baseCRL, 'base64');
    const { nextUpdate } = parseCrl(der);
    return nextUpdate && now <= nextUpdate ? der : undefined;
  } catch {
    return undefined; // a damaged cache entry is a miss, as notation's DiscardCacheError
  }
}

/** A CrlFetcher over the cache and the network. */
export function crlSource(opts: CrlSourceOptions): CrlFetcher {
  return async (url) => {
    if (opts.cacheDir) {
      const hit = await readCached(opts.cacheDir, url, opts.now());
      if (hit) return hit;
    }
    if (opts.offline) throw new VouchError('FILE_NOT_FOUND', `the CRL from ${url} is not in the cache (offline: no CRL is fetched)`, { hint: 'run the verification once online, or leave out --crl-offline' });
    let parsed: URL;
    try { parsed = new URL(url); } catch { throw new VouchError('INVALID_ARGUMENT', `invalid CRL URL: ${url}`); }
    if (parsed.protocol !== 'http:') throw new VouchError('INVALID_ARGUMENT', `unsupported scheme: ${parsed.protocol.replace(':', '')}. Only supports CRL URL in HTTP protocol`);
    if (!opts.transport) throw new VouchError('NETWORK', 'no HTTP client to fetch CRLs with');
    const res = await opts.transport.request('GET', url, { maxBytes: MAX_CRL_BYTES - 1 });
    if (res.status !== 200) throw new VouchError('NETWORK', `failed to download with status code: ${res.status}`);
    parseCrl(res.body, `the CRL from ${url}`);
    if (opts.cacheDir) {
      try {
        await writeFileAtomic(cacheFile(opts.cacheDir, url), JSON.stringify({ baseCRL: res.body.toString('base64') }), { mode: 0o600, dirMode: 0o700 });
      } catch (err) {
        opts.warn?.(`Warning: CRL cache error discarded: ${(err as Error).message}`);
      }
    }
    return res.body;
  };
}
