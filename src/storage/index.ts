// storage: trust-server persistence. `openStore(url)` picks the adapter from a URL:
//   memory | sqlite:PATH | a bare file path | postgres://… | postgresql://…
import { VouchError, redactUrl } from '../core/index.js';
import { openMemoryStore } from './memory.js';
import type { OpenStoreOptions, Store } from './types.js';

export * from './types.js';
export { getCurrentChained } from './current.js';
export { isStorageUnavailable } from './common.js';
export { MemoryStore, openMemoryStore } from './memory.js';

const USAGE = 'use memory, sqlite:PATH (or a file path), or postgres://user@host:port/db';

/** Opens (creating or migrating the schema as needed) the store named by `url`. */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  if (typeof url !== 'string' || url.trim() === '') throw new VouchError('CONFIG', `no storage URL given: ${USAGE}`);
  const u = url.trim();
  if (u === 'memory' || u === 'memory:') return openMemoryStore(opts);
  if (/^postgres(ql)?:\/\//i.test(u)) {
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(u, opts);
  }
  if (/^sqlite3?:/i.test(u)) {
    const path = u.replace(/^sqlite3?:(\/\/)?/i, '');
    if (path === '') throw new VouchError('CONFIG', `storage URL ${JSON.stringify(u)} names no file: ${USAGE}`);
    const { openSqliteStore } = await import('./sqlite.js');
    return openSqliteStore(path, opts);
  }
  // Anything else with a scheme is a mistake (mysql://, rethinkdb://, http://…), not a file name.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(u);
  if (scheme && !/^[a-z]:[\\/]/i.test(u)) {
    throw new VouchError('CONFIG', `unsupported storage ${JSON.stringify(scheme[1])} in ${JSON.stringify(redact(u))}: ${USAGE}`);
  }
  const { openSqliteStore } = await import('./sqlite.js');
  return openSqliteStore(u, opts);
}

/** The storage URL as it may be logged (no password). */
export const redact = redactUrl;
