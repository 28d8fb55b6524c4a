// Types of the trust policy: the validated document, the facts a client hands to evaluation,
// and the decision it gets back. Everything here is plain data (JSON-serialisable).
// The file format itself is described in docs/policy.md.

/** `enforce`: a failed check denies the image. `audit`: failed checks are reported, the image is allowed. */
export type Mode = 'enforce' | 'audit';

/**
 * The settings a policy level may set. Levels cascade: built-in defaults < `defaults` < the
 * matching rule < the matching tag entry; a level that omits a field inherits it.
 */
export interface RuleSettings {
  mode?: Mode;
  /** Deny tags that have no trust data at all. */
  rejectUnsigned?: boolean;
  /** The image reference must carry a digest (`TAG@sha256:…`). */
  requirePin?: boolean;
  /** Every counted signer must have signed the same digest (otherwise a minority is only reported). */
  requireAgreement?: boolean;
  /**
   * Who may sign, as Notary role names: `targets` (the repository key, docker's "Repo Admin")
   * or `targets/<signer>`. `'any'` accepts every signer in the repository's trust data.
   */
  signers?: readonly string[] | 'any';
  /** k: how many distinct allowed signers must have signed one digest. */
  threshold?: number;
}

/** Settings after the cascade: every field is known. */
export interface EffectiveSettings {
  mode: Mode;
  rejectUnsigned: boolean;
  requirePin: boolean;
  requireAgreement: boolean;
  signers: readonly string[] | 'any';
  threshold: number;
}

/** A `tags:` entry: settings for the tags that match `pattern` (a glob where `*` matches any run of characters). */
export interface TagRule extends RuleSettings {
  pattern: string;
  /** 1-based line of the entry in the policy file, when known. */
  line?: number;
}

/** A `rules:` entry. */
export interface Rule extends RuleSettings {
  /** From the file, or the first repository pattern when the file gives none. */
  name: string;
  /** GUN globs: `*` matches within one path component, `**` matches any number of components. */
  repositories: readonly string[];
  tags: readonly TagRule[];
  /** Position in `rules` (ties in specificity go to the earlier rule). */
  index: number;
  line?: number;
}

/** A validated policy document. Build one with `validatePolicy`; evaluate with `evaluatePolicy`. */
export interface Policy {
  version: 1;
  /** Applies where no rule matches, and its settings (not its tags) are inherited by every rule. */
  defaults: RuleSettings & { tags: readonly TagRule[] };
  rules: readonly Rule[];
}

/** One problem found while validating a policy file. */
export interface PolicyIssue {
  /** Stable machine-readable kind, e.g. `unknown-key`, `wrong-type`, `threshold-exceeds-signers`. */
  code: PolicyIssueCode;
  message: string;
  /** Where in the document, e.g. `['rules', 0, 'tags', 1, 'threshold']`. */
  path: readonly (string | number)[];
  /** 1-based; absent when the input had no source text (a plain object). */
  line?: number;
  column?: number;
}

export type PolicyIssueCode =
  | 'yaml-syntax'
  | 'too-large'
  | 'empty'
  | 'unknown-key'
  | 'missing-key'
  | 'wrong-type'
  | 'bad-value'
  | 'unsupported-version'
  | 'bad-repository-pattern'
  | 'bad-tag-pattern'
  | 'bad-signer'
  | 'empty-signers'
  | 'duplicate-signer'
  | 'threshold-exceeds-signers'
  | 'duplicate-rule'
  | 'duplicate-tag-pattern'
  | 'duplicate-name'
  // warnings
  | 'pattern-never-matches'
  | 'pattern-not-normalised'
  | 'no-effect'
  | 'no-rules';

/** The result of validation, as data: `policy` is present exactly when `errors` is empty. */
export interface PolicyValidation {
  policy: Policy | undefined;
  errors: PolicyIssue[];
  warnings: PolicyIssue[];
}

// ---- evaluation input -------------------------------------------------------------------------

/** The image being checked. `gun` is the normalised repository name, e.g. `docker.io/library/alpine`. */
export interface ImageRef {
  gun: string;
  tag?: string;
  /** `sha256:<hex>` when the user wrote `IMAGE[:TAG]@DIGEST`. */
  digest?: string;
}

/**
 * One role that lists the tag in its *verified* metadata (signatures, threshold, expiry and
 * hashes already checked by the client). Report every such role, including ones whose `paths`
 * do not cover the tag: the policy decides what they mean.
 */
export interface TagSignature {
  /** Notary role name: `targets`, `targets/releases`, `targets/alice`, … */
  role: string;
  /** `sha256:` + the target's `hashes.sha256` in lowercase hex. */
  digest: string;
  /**
   * The role's allowed target-name prefixes as its parent delegates them (`""` allows every tag).
   * For nested delegations pass only the prefixes that also fall under the parent's paths.
   * Omit for `targets`, which may sign every tag.
   */
  paths?: readonly string[];
  /**
   * Key IDs of the role's keys. Optional; when given, roles that share a key count as one signer
   * (otherwise one person holding two delegations could meet a 2-of-n threshold alone).
   */
  keyIds?: readonly string[];
}

/** What the client learnt from the repository's trust data about the tag being checked. */
export interface TrustFacts {
  /** Empty when the tag is not signed. At most one entry per role and digest is meaningful. */
  signatures: readonly TagSignature[];
}

// ---- evaluation output ------------------------------------------------------------------------

/** The checks, always reported in this order, one result each. */
export type CheckName = 'signed' | 'signer' | 'paths' | 'threshold' | 'agreement' | 'pinned' | 'pin-matches';

/**
 * `pass`; `fail`: denies in enforce mode (reported in audit mode); `warn`: a finding the policy
 * says to report without denying; `skip`: not applicable here.
 */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  check: CheckName;
  status: CheckStatus;
  message: string;
}

/** Which part of the policy applied. */
export interface AppliedRule {
  /** The rule's name, or `defaults` when no rule matched. */
  name: string;
  /** The repository pattern that matched (absent for `defaults`). */
  repository?: string;
  /** The tag entry's pattern, when one matched. */
  tag?: string;
  line?: number;
}

export interface Decision {
  /** Whether the image may be used: true when every check passed, or when the mode is `audit`. */
  allowed: boolean;
  /** True when no check failed (in audit mode: whether enforce mode would have allowed it). */
  compliant: boolean;
  mode: Mode;
  /** The digest to use: the pinned digest, or the one the signers agreed on; absent when none could be determined. */
  digest?: string;
  rule: AppliedRule;
  settings: EffectiveSettings;
  /** One result per check, in `CheckName` order. */
  reasons: CheckResult[];
  /** One line for humans: the verdict and the first failure. */
  summary: string;
}
