// oci: distribution client, image layouts, docker-archive reading, image copy.
export * from './mediatypes.js';
export * from './manifest.js';
export * from './verify.js';
export * from './reference.js';
export * from './client.js';
export * from './layout.js';
export * from './archive.js';
export * from './copy.js';
export * from './transports.js';
