// cosign's formats: the legacy `.sig`/`.att` manifests, DSSE envelopes and in-toto statements,
// and Sigstore bundles as OCI referrers.
export * from './legacy.js';
export * from './dsse.js';
export * from './bundle.js';
