// vouch gate's defaults, in a file of their own so the command line can show them without loading the gate.

/** The longest a verdict or verified trust data is kept (never past the trust data's expiry). */
export const DEFAULT_CACHE_TTL_MS = 60_000;
/** The longest a manifest request, or the start of a blob, may take before 503 UNAVAILABLE. */
export const DEFAULT_REQUEST_DEADLINE_MS = 30_000;
