// The shared storage behaviour suite on the memory adapter.
import { EncryptedKeyStore } from '../../../src/storage/keys.js';
import { openStore, type MemoryStore, type Store } from '../../../src/storage/index.js';
import { storageSuite } from './suite.js';

const rows = (s: Store) => (s as MemoryStore).keyRows.raw();

storageSuite({
  name: 'memory',
  shared: false,
  open: (opts) => openStore('memory', opts),
  rawKeys: async (s) => rows(s).map((r) => ({ keyId: r.keyId, sealed: Buffer.from(r.sealed) })),
  setSealed: async (s, keyId, sealed) => {
    const row = rows(s).find((r) => r.keyId === keyId);
    if (!row) throw new Error(`no row ${keyId}`);
    row.sealed = Buffer.from(sealed);
  },
  withSecret: async (s, secret) => new EncryptedKeyStore((s as MemoryStore).keyRows, { secret }),
});
