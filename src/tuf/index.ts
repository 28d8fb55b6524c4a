// tuf: Notary-dialect TUF metadata, signature checks, the trusted-metadata state machine and the
// repository editor. Pure: no I/O, no clock (`now` is always a parameter), no environment.
export * from './keyid.js';
export type * from './signer.js';
export * from './roles.js';
export * from './time.js';
export * from './metadata.js';
export * from './verify.js';
export * from './x509.js';
export * from './editor.js';
export * from './trusted.js';
export * from './resolve.js';
export * from './tags.js';
