// core: bytes, canonical JSON, digests, signature primitives and the error type. Pure: no I/O.
export * from './errors.js';
export * from './encoding.js';
export * from './digest.js';
export * from './json.js';
export * from './crypto.js';
export * from './x509.js';
export * from './redact.js';
export * from './names.js';
export * from './roles.js';
export * from './mutex.js';
export * from './concurrency.js';
