// @peculiar/x509 (certificates, typed extensions with their criticality), loaded on first use:
// it and the tsyringe container it brings are slow to load, and most commands never need them.
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

// The library's types are DOM's; node's webcrypto is the same API.
type X509Crypto = Parameters<typeof X509.cryptoProvider.set>[0];

let loaded: Promise<typeof X509> | undefined;

/** The @peculiar/x509 module, with node's webcrypto as its provider. */
export function x509lib(): Promise<typeof X509> {
  loaded ??= (async () => {
    await import('reflect-metadata'); // tsyringe needs the Reflect metadata API
    const lib = await import('@peculiar/x509');
    lib.cryptoProvider.set(webcrypto as unknown as X509Crypto);
    return lib;
  })();
  return loaded;
}
