// sig: OCI signature formats and their verification as pure functions (no I/O, no clock: the
// time is a parameter). Notation (Notary Project) JWS signatures first.
export * from './notation/index.js';
