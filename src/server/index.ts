// server: the Notary v1-compatible trust server (notary-server's HTTP API).
export { createServer, DEFAULT_LIMITS, type NotaryApp, type LoggerSetting, type ServerOptions, type ServerLimits } from './app.js';
export { TokenAuthorizer, buildAccess, scopeParam, parseScope, libtrustKeyId, type TokenAuthOptions, type Access } from './auth.js';
export { errorBody, type NotaryErrorCode } from './errors.js';
export { validateUpdate, type ValidatedUpdate, type ValidationInput } from './validate.js';
export { loadServerConfig, parseAddr, envKey, DEFAULT_ADDR, type ServerConfig, type LoadConfigOptions, type LogLevel } from './config.js';
export { openServerStore, resolveKeySecret, runServer, type RunningServer, type RunOptions } from './run.js';
export { parseRegistryMapping, imageOf, SignatureLookups, type SignatureReader, type RegistryMapping, type ImageSignaturesRead, type ShownSignature } from './signers.js';
