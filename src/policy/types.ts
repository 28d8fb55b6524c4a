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
  /**
   * k: how many distinct allowed signers must have signed one digest. `'all'`: every listed
   * signer (resolved to the length of the effective `signers` list after the cascade).
   */
  threshold?: number | 'all';
  /**
   * "All of" groups: each must be met too, on the same digest, by distinct signers of its own list
   * (a subset of `signers`). Replaced, not merged, by a lower level.
   */
  require?: readonly RequireGroup[];
}

/** One `require:` group: k of these signers (`all`: every one). */
export interface RequireGroup {
  signers: readonly string[];
  threshold: number | 'all';
}

/** Settings after the cascade: every field is known. */
export interface EffectiveSettings {
  mode: Mode;
  rejectUnsigned: boolean;
  requirePin: boolean;
  requireAgreement: boolean;
  signers: readonly string[] | 'any';
  threshold: number;
  /** present only when a level sets it */
  require?: readonly RequireGroup[];
}

/** The kinds of signature a policy can require. DCT signatures live in the trust server; the others next to the image. */
export type SignerKind = 'dct' | 'notation' | 'cosign';

/** A DCT signer: a Notary role (`targets`, `targets/alice`). */
export interface DctSignerDefinition {
  kind: 'dct';
  role: string;
}

/**
 * A Notation signer: either trust stores + trusted identities + a level (what one statement of
 * notation's trust policy says), or notation's own `trustPolicy` file, whose statement for the
 * repository applies as notation would apply it. Paths are as written (relative to the policy file).
 */
export interface NotationSignerDefinition {
  kind: 'notation';
  /** `type:name` (`ca:acme`), the trust stores under `trustStoreDir` */
  trustStores?: readonly string[];
  /** `x509.subject: DN` entries, or `['*']` */
  identities?: readonly string[];
  level?: 'strict' | 'permissive' | 'audit';
  /** notation's trustpolicy.json, referenced as it is */
  trustPolicy?: string;
  /** notation's configuration directory, holding `truststore/x509/…` (default: notation's own) */
  trustStoreDir?: string;
}

/** A cosign signer: a public key, or a keyless identity (certificate issuer and subject) under a Sigstore trusted root. */
export interface CosignSignerDefinition {
  kind: 'cosign';
  key?: string;
  trustedRoot?: string;
  issuer?: string;
  issuerRegExp?: string;
  subject?: string;
  subjectRegExp?: string;
}

export type OciSignerDefinition = NotationSignerDefinition | CosignSignerDefinition;
export type SignerDefinition = DctSignerDefinition | OciSignerDefinition;

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
  /**
   * The top-level `signers:` map: named signers of any kind (present only when the file has one).
   * Rule and tag `signers` lists name them; in the validated lists a DCT signer is its role
   * (`targets/…`) and a Notation or cosign signer is its name here.
   */
  signers?: Readonly<Record<string, SignerDefinition & { line?: number }>>;
  /** The directory relative paths in `signers` are resolved against; set by whoever read the file (not by validation). */
  baseDir?: string;
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
  | 'unknown-signer'
  | 'bad-signer-definition'
  | 'bad-identity'
  | 'bad-regexp'
  // warnings
  | 'pattern-never-matches'
  | 'pattern-not-normalised'
  | 'no-effect'
  | 'no-rules'
  | 'signer-not-defined'
  | 'unused-signer';

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

/** passed: verified with the signer's trust material; failed: proven not to; inconclusive: could not be decided. */
export type SignatureStatus = 'passed' | 'failed' | 'inconclusive';

/** One check of one signature, as its verifier ran it (Notation's checks, cosign's signature/claims/tlog). */
export interface SignatureCheck {
  check: string;
  status: SignatureStatus | 'skipped';
  message?: string;
}

/**
 * A Notation or cosign signature (or the attempt to find one) checked with a named signer's trust
 * material on one candidate digest. One fact per signature tried; a signer with no signature on a
 * digest is one `failed` fact without `signature`; a digest that could not be read (or a signer whose
 * trust material could not be loaded) is an `inconclusive` fact (without `digest` when it concerns every digest).
 */
export interface OciSignatureFact {
  kind: 'notation' | 'cosign';
  /** the name in the policy's `signers` map */
  signer: string;
  /** the image digest the signature was checked against */
  digest?: string;
  /** the signature's own digest (manifest or payload layer) */
  signature?: string;
  status: SignatureStatus;
  checks: readonly SignatureCheck[];
  message?: string;
}

/** What the client learnt from the repository's trust data about the tag being checked. */
export interface TrustFacts {
  /** Empty when the tag is not signed. At most one entry per role and digest is meaningful. */
  signatures: readonly TagSignature[];
  /** Notation and cosign signatures of the named signers the applying rule lists, on the candidate digests. */
  oci?: readonly OciSignatureFact[];
}

// ---- evaluation output ------------------------------------------------------------------------

/** The checks, always reported in this order, one result each. */
export type CheckName = 'signed' | 'signer' | 'paths' | 'threshold' | 'require' | 'agreement' | 'pinned' | 'pin-matches';

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

/** Every signature the decision looked at, of every kind, and whether it counted toward the threshold. */
export interface SignatureReport {
  kind: SignerKind;
  /** the signer as the policy names it: docker's display name for DCT roles, the map name otherwise */
  signer: string;
  /** DCT: the Notary role */
  role?: string;
  digest?: string;
  signature?: string;
  status: SignatureStatus;
  checks: readonly SignatureCheck[];
  message?: string;
  /** it passed, the applying rule accepts its signer, and it is on the decision's digest */
  counted: boolean;
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
  /**
   * `passed` when compliant; `inconclusive` when a signature that could not be verified (a registry
   * that could not be read, trust material that could not be loaded) would have made it compliant;
   * `failed` otherwise. Follows the outcomes of src/core/errors.ts.
   */
  outcome: 'passed' | 'failed' | 'inconclusive';
  /** Every signature found, of every kind, with its status and checks. */
  signatures: SignatureReport[];
}
