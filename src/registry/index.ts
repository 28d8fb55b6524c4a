// registry: the embedded OCI distribution registry (`vouch registry`).
export { createRegistry, runRegistry, parseAddr, DEFAULT_MAX_BLOB, DEFAULT_MAX_MANIFEST } from './server.js';
// What the registry gate (src/gate) shares with the registry: distribution-spec errors, endpoints, path checks, Basic auth.
export { API_VERSION, DISTRIBUTION_ERROR_CODES, JSON_TYPE, RegistryError, bodyRefusal, errorBody, requireDigest, requireName, type DistributionErrorCode } from './errors.js';
export { API_METHODS, decodePathComponent, matchEndpoint, type Endpoint, type EndpointMatch } from './routes.js';
export { checkBasic } from './server.js';
export { DEFAULT_REGISTRY_LIMITS, registryLimits, type RegistryLimits } from './limits.js';
export type { Registry, RegistryOptions, RegistryAuth, RunRegistryOptions, RunningRegistry } from './server.js';
export { FsStorage, validName } from './storage.js';
