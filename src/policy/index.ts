// policy: trust policy evaluation. Pure: no I/O, no clock, no environment. The client gathers
// `TrustFacts` from verified metadata and acts on the `Decision` that `evaluatePolicy` returns.
// Policy documents (YAML/JSON source -> Policy, with positions) are `./validate.js`, and pinning
// image references in files is `./pin.js`: each its own entry point, so that what evaluates a
// policy (every pull) does not load the YAML parser.
export type * from './types.js';
export { BUILTIN_SETTINGS, DEFAULT_POLICY, decisionError, evaluatePolicy, ociSignersOf, resolveSettings, selectRule, selectTagRule } from './evaluate.js';
export type { Resolution } from './evaluate.js';
export { checkRepositoryPattern, checkTagPattern, matchRepository, matchTag } from './pattern.js';
export { REPO_ADMIN, displaySigner, parseSigner } from './signer.js';
