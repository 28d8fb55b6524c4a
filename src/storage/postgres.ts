import { VouchError } from '../core/index.js';
import type { OpenStoreOptions, Store } from './types.js';

export async function openPostgresStore(_url: string, _opts: OpenStoreOptions = {}): Promise<Store> {
  throw new VouchError('CONFIG', 'the PostgreSQL store is not ready yet');
}
