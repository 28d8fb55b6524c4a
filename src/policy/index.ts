// policy: trust policy documents and their evaluation. Pure: no I/O, no clock, no environment.
// The CLI reads the file and hands the text to `validatePolicy`/`parsePolicy`; the client gathers
// `TrustFacts` from verified metadata and acts on the `Decision` that `evaluatePolicy` returns.
import { VouchError } from '../core/errors.js';
import type { Policy, PolicyIssue } from './types.js';
import { formatPath, validatePolicy } from './validate.js';

export type * from './types.js';
export { BUILTIN_SETTINGS, MAX_POLICY_CHARS, formatPath, validatePolicy, validatePolicyObject } from './validate.js';
export { DEFAULT_POLICY, decisionError, evaluatePolicy, resolveSettings, selectRule, selectTagRule } from './evaluate.js';
export type { Resolution } from './evaluate.js';
export { checkRepositoryPattern, checkTagPattern, matchRepository, matchTag } from './pattern.js';
export { REPO_ADMIN, displaySigner, parseSigner } from './signer.js';

/** `policy.yaml:12:7: rules[0].tags[1].threshold: threshold 3 is more than …` */
export function formatPolicyIssue(issue: PolicyIssue, file = 'policy'): string {
  const at = issue.line !== undefined ? `${file}:${issue.line}:${issue.column ?? 1}` : file;
  const path = issue.path.length > 0 ? `${formatPath(issue.path)}: ` : '';
  return `${at}: ${path}${issue.message}`;
}

/** Validates and returns the policy, or throws `INVALID_POLICY` listing every error (details: errors, warnings). */
export function parsePolicy(source: string, file = 'policy'): Policy {
  const { policy, errors, warnings } = validatePolicy(source);
  if (policy !== undefined) return policy;
  const lines = errors.map((e) => formatPolicyIssue(e, file));
  const message = errors.length === 1 ? `invalid policy: ${lines[0] as string}` : `invalid policy (${errors.length} errors):\n  ${lines.join('\n  ')}`;
  throw new VouchError('INVALID_POLICY', message, {
    hint: 'see docs/policy.md for the policy format',
    details: { errors, warnings },
  });
}
export {
  MAX_PIN_CHARS, checkPins, detectSyntax, findImageReferences, formatPinProblem, pinProblemsError, pinTag, pinText, referencesToResolve,
} from './pin.js';
export type { PinOptions, PinScanOptions } from './pin.js';
export type * from './pin-types.js';
