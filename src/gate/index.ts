// gate: `vouch gate`, an OCI distribution endpoint in front of upstream registries that serves an
// image only when the trust policy is met (docs/gate.md).
export { createGate, runGate, gateError, isRunnable, type Gate, type GateOptions, type RunGateOptions, type RunningGate } from './server.js';
export { loadGateConfig, parseUpstreamFlag, routeName, gateName, upstreamHost, type Upstream } from './config.js';
export { Verdicts, refusal, tagsBinding, type Verdict } from './verdicts.js';
export { VerdictCache, type Expiring } from './cache.js';
export { DEFAULT_CACHE_TTL_MS, DEFAULT_REQUEST_DEADLINE_MS } from './defaults.js';
