// One error type for the whole project. Callers switch on `code`, never on class, message or
// `details`: each code means one thing (docs/errors.md lists them all, and a unit test keeps that
// list and ERROR_OUTCOMES in step). `hint` says what the user can do about it; the CLI prints it
// under the message.

/**
 * What a failure says about the content being verified, for a caller (an admission controller)
 * that must choose between failing open and failing closed:
 * - `failed`: a verdict. The content was proven wrong (bad signature, rollback, mismatching hash),
 *   is not signed, is denied by policy, or the request itself is invalid; asking again gives the
 *   same answer.
 * - `inconclusive`: no verdict. Something needed to decide was missing or out of reach (server
 *   unreachable, timeout, expired freshness, missing keys or files, storage down, configuration).
 * Notation's per-check statuses use the same two words (src/sig/notation/verify.ts).
 */
export type ErrorOutcome = 'failed' | 'inconclusive';

/** Every code, with its outcome. A code is added here, in ErrorDetailsMap when it carries details, and in docs/errors.md. */
export const ERROR_OUTCOMES = {
  // input and formats
  INVALID_JSON: 'failed',
  INVALID_CANONICAL_JSON: 'failed',
  INVALID_ENCODING: 'failed',
  INVALID_ARGUMENT: 'failed',
  TOO_LARGE: 'failed',
  // keys and signatures
  UNSUPPORTED_KEY_TYPE: 'failed',
  INVALID_KEY: 'failed',
  INVALID_SIGNATURE: 'failed',
  METHOD_MISMATCH: 'failed',
  WEAK_KEY: 'failed',
  KEY_NOT_FOUND: 'inconclusive',
  BAD_PASSPHRASE: 'inconclusive',
  NO_PASSPHRASE: 'inconclusive',
  INVALID_CERTIFICATE: 'failed',
  IDENTITY_MISMATCH: 'failed',
  INSECURE_PERMISSIONS: 'inconclusive',
  // TUF metadata checks
  INVALID_METADATA: 'failed',
  WRONG_TYPE: 'failed',
  INVALID_ROLE: 'failed',
  NO_SIGNATURES: 'failed',
  THRESHOLD_NOT_MET: 'failed',
  INVALID_THRESHOLD: 'failed',
  KEYID_MISMATCH: 'failed',
  EXPIRED: 'inconclusive',
  ROLLBACK: 'failed',
  HASH_MISMATCH: 'failed',
  LENGTH_MISMATCH: 'failed',
  ROOT_ROTATION_FAILED: 'failed',
  TRUST_PINNING: 'failed',
  DELEGATION_NOT_FOUND: 'failed',
  ORDER: 'inconclusive',
  // what is not there
  REPOSITORY_NOT_FOUND: 'failed',
  TAG_NOT_FOUND: 'failed',
  METADATA_NOT_FOUND: 'inconclusive',
  SIGNER_NOT_FOUND: 'failed',
  REGISTRY_NOT_FOUND: 'inconclusive',
  IMAGE_NOT_FOUND: 'inconclusive',
  BLOB_NOT_FOUND: 'inconclusive',
  FILE_NOT_FOUND: 'inconclusive',
  // trust policy
  INVALID_POLICY: 'inconclusive',
  POLICY_DENIED: 'failed',
  // a signature the policy needed could not be verified (registry unreadable, trust material missing)
  POLICY_INCONCLUSIVE: 'inconclusive',
  // vouch pin
  INVALID_YAML: 'failed',
  NOT_PINNED: 'failed',
  // I/O and remote services
  UNREACHABLE: 'inconclusive',
  NETWORK: 'inconclusive',
  // a caller's own time budget (the admission webhook's deadline) ran out before a verdict was reached
  DEADLINE: 'inconclusive',
  REMOTE_ERROR: 'inconclusive',
  UNAUTHORIZED: 'inconclusive',
  CONFLICT: 'inconclusive',
  STORAGE: 'inconclusive',
  STORAGE_UNAVAILABLE: 'inconclusive',
  CONFIG: 'inconclusive',
  // a service that no longer exists (Docker Hub's Notary, retired 2026-12-08): nothing can be decided through it
  SERVICE_RETIRED: 'inconclusive',
  // a Notation plugin failed or answered outside the protocol: the plugin's verdict is unknown
  PLUGIN: 'inconclusive',
  INTERNAL: 'inconclusive',
} as const satisfies Record<string, ErrorOutcome>;

export type ErrorCode = keyof typeof ERROR_OUTCOMES;

/** Every code, in catalogue order. */
export const ERROR_CODES = Object.keys(ERROR_OUTCOMES) as readonly ErrorCode[];

/** A registry's error answer (OCI distribution-spec): its status, its own codes, the URL. */
type RegistryAnswer = { status?: number; codes?: readonly string[]; url?: string };

/**
 * The details each code carries (for --json output and for tests). A code absent here carries
 * none beyond the context. Types from modules above core (a policy Decision) are `unknown` here:
 * core imports nothing.
 */
type ErrorDetailsMap = {
  INVALID_ROLE: { role?: string; delegation?: string; parent?: string };
  INVALID_METADATA: { role?: string; tag?: string };
  WRONG_TYPE: { role: string; expected: string; got: unknown };
  INVALID_THRESHOLD: { role: string; threshold: number };
  UNSUPPORTED_KEY_TYPE: { role: string; keyid: string; keytype: string };
  METHOD_MISMATCH: { method: string; keytype: string };
  NO_SIGNATURES: { role: string };
  KEYID_MISMATCH: { role: string; keyid: string };
  THRESHOLD_NOT_MET: { role: string; threshold: number; valid: number; rejected: readonly unknown[] };
  EXPIRED: { role?: string; expires: string; version?: number };
  ROLLBACK: { role: string; version?: number; trustedVersion?: number; dropped?: string; parent?: string };
  HASH_MISMATCH: { role?: string; listedBy?: string; algorithm?: string; expected?: string; actual?: string; registry?: string; signed?: string };
  LENGTH_MISMATCH: { role?: string; length?: number; expected?: number; actual?: number };
  TOO_LARGE: RegistryAnswer & { size?: number; limit?: number; file?: string; role?: string; listedBy?: string; length?: number };
  ROOT_ROTATION_FAILED: { role: string; version: number; signedBy?: string; trustedVersion?: number };
  TRUST_PINNING: { gun: string };
  INVALID_CERTIFICATE: { cn?: string | null; gun?: string; rejected?: readonly unknown[] };
  DELEGATION_NOT_FOUND: { role: string; parent?: string };
  KEY_NOT_FOUND: { role?: string; keyId?: string; gun?: string; repository?: string; roles?: readonly string[]; keyIds?: readonly string[] };
  BAD_PASSPHRASE: { role?: string; from?: string; keyId?: string; gun?: string };
  NO_PASSPHRASE: { role: string; variables: readonly string[] };
  REPOSITORY_NOT_FOUND: { repository?: string; role?: string; decision?: unknown };
  TAG_NOT_FOUND: { tag?: string; role?: string | null; decision?: unknown };
  METADATA_NOT_FOUND: { role?: string; repository?: string };
  SIGNER_NOT_FOUND: { repository: string; signer: string };
  REGISTRY_NOT_FOUND: RegistryAnswer;
  IMAGE_NOT_FOUND: { tags?: readonly string[]; refs?: readonly string[] };
  FILE_NOT_FOUND: { file?: string };
  INVALID_POLICY: { errors: readonly unknown[]; warnings: readonly unknown[] };
  POLICY_DENIED: { decision?: unknown; resolved?: string; reference?: string; denied?: readonly string[]; failed?: number; total?: number };
  POLICY_INCONCLUSIVE: { decision?: unknown; denied?: readonly string[] };
  PLUGIN: { plugin?: string; errorCode?: string };
  INVALID_YAML: { file: string | undefined; errors: readonly unknown[] };
  NOT_PINNED: { problems: readonly unknown[]; files?: readonly unknown[] };
  UNREACHABLE: RegistryAnswer & { reached?: false; cause?: string };
  NETWORK: { reached: true; received?: number; deadline?: 'body' | 'stall'; cause?: string };
  REMOTE_ERROR: RegistryAnswer & { code?: string; detail?: unknown };
  UNAUTHORIZED: RegistryAnswer & { realm?: string };
  CONFLICT: { gun: string; role?: string; version?: number; existing?: number };
  CONFIG: { file: string };
  INTERNAL: { expected?: unknown; found?: unknown };
};

/**
 * What any error may carry besides its code's details: the updater names the role, the check and
 * the repository of a failure (and marks it explained), `trust inspect` the code of the cause.
 */
export type ErrorContext = { role?: string | null; check?: string; gun?: string; explained?: true; reason?: ErrorCode };

/** The details of one code (of any code: the union, readable as an untyped bag too). */
export type ErrorDetails<C extends ErrorCode = ErrorCode> = Readonly<{ [K in ErrorCode]: K extends keyof ErrorDetailsMap ? ErrorDetailsMap[K] : Record<never, never> }[C] & ErrorContext>;

export interface VouchErrorOptions<C extends ErrorCode = ErrorCode> {
  hint?: string;
  cause?: unknown;
  details?: ErrorDetails<C>;
}

class VouchErrorClass extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** Structured facts for --json output and for tests (role, versions, ...), typed per code (ErrorDetailsMap). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, opts: VouchErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VouchError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details ?? {};
  }

  /** failed (a verdict) or inconclusive (none could be reached): see ErrorOutcome. */
  get outcome(): ErrorOutcome {
    return ERROR_OUTCOMES[this.code];
  }
}

/** A VouchError of code C: its details typed as ErrorDetailsMap says (isVouchError(err, C) narrows to it). */
export type VouchError<C extends ErrorCode = ErrorCode> = VouchErrorClass & { readonly code: C; readonly details: ErrorDetails<C> };

interface VouchErrorConstructor {
  /** The code's details are checked against ErrorDetailsMap at compile time. */
  new <C extends ErrorCode>(code: C, message: string, opts?: VouchErrorOptions<C>): VouchError<C>;
  readonly prototype: VouchError;
}

/** The one error class (a value with a generic constructor, so that `details` is checked per code). */
export const VouchError = VouchErrorClass as unknown as VouchErrorConstructor;

export function isVouchError<C extends ErrorCode = ErrorCode>(err: unknown, code?: C): err is VouchError<C> {
  return err instanceof VouchErrorClass && (code === undefined || err.code === code);
}
