// sig: OCI signature formats and their verification as pure functions (no I/O, no clock: the
// time is a parameter): Notation (Notary Project) signatures, and cosign's (as `cosign`).
export * from './notation/index.js';
// cosign signatures, under their own name: their constants and descriptors differ from Notation's.
export * as cosign from './cosign/legacy.js';
// Bundles, DSSE and in-toto (src/sig/cosign/index.ts) load @sigstore/*: imported where used, so
// commands that never read a bundle do not pay for loading it.
