// sig: OCI signature formats and their verification as pure functions (no I/O, no clock: the
// time is a parameter): Notation (Notary Project) signatures, and cosign's (as `cosign`).
export * from './notation/index.js';
// cosign signatures, under their own name: their constants and descriptors differ from Notation's.
export * as cosign from './cosign/legacy.js';
// what a cosign signature says about itself, without a key (vouch status, the dashboard)
export { inspectLegacySignature, KEY_SIGNED, type CosignSignatureFacts } from './cosign/inspect.js';
// Sigstore bundles, DSSE and in-toto (sig/cosign/index.ts), blob signatures and keyless verification
// (sig/cosign/keyless.ts, trustroot.ts, blob.ts) are imported by path, not from here: they load
// @sigstore/*, which most commands never need.
