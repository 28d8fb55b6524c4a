import { VouchError } from '../core/index.js';
import type { OpenStoreOptions, Store } from './types.js';

export async function openSqliteStore(_path: string, _opts: OpenStoreOptions = {}): Promise<Store> {
  throw new VouchError('CONFIG', 'the SQLite store is not ready yet');
}
