// One error type for the whole project. Callers switch on `code`, never on class or message.
// `hint` says what the user can do about it; the CLI prints it under the message.

export type ErrorCode =
  // input and formats
  | 'INVALID_JSON'
  | 'INVALID_CANONICAL_JSON'
  | 'INVALID_ENCODING'
  | 'INVALID_ARGUMENT'
  | 'TOO_LARGE'
  // keys and signatures
  | 'UNSUPPORTED_KEY_TYPE'
  | 'INVALID_KEY'
  | 'INVALID_SIGNATURE'
  | 'METHOD_MISMATCH'
  | 'WEAK_KEY'
  | 'KEY_NOT_FOUND'
  | 'BAD_PASSPHRASE'
  | 'NO_PASSPHRASE'
  | 'INVALID_CERTIFICATE'
  | 'INSECURE_PERMISSIONS'
  // TUF metadata checks
  | 'INVALID_METADATA'
  | 'WRONG_TYPE'
  | 'INVALID_ROLE'
  | 'NO_SIGNATURES'
  | 'THRESHOLD_NOT_MET'
  | 'INVALID_THRESHOLD'
  | 'KEYID_MISMATCH'
  | 'EXPIRED'
  | 'ROLLBACK'
  | 'HASH_MISMATCH'
  | 'LENGTH_MISMATCH'
  | 'ROOT_ROTATION_FAILED'
  | 'TRUST_PINNING'
  | 'DELEGATION_NOT_FOUND'
  | 'PATH_NOT_ALLOWED'
  | 'ORDER'
  | 'NOT_FOUND'
  // trust policy
  | 'INVALID_POLICY'
  | 'POLICY_DENIED'
  // vouch pin
  | 'INVALID_YAML'
  | 'NOT_PINNED'
  // I/O and remote services
  | 'NETWORK'
  | 'REMOTE_ERROR'
  | 'UNAUTHORIZED'
  | 'CONFLICT'
  | 'STORAGE'
  | 'CONFIG'
  /** a service that no longer exists (Docker Hub's Notary, retired 2026-12-08) */
  | 'SERVICE_RETIRED'
  // a Notation plugin failed or answered outside the protocol
  | 'PLUGIN'
  | 'INTERNAL';

export class VouchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** Structured facts for --json output and for tests (role, versions, ...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VouchError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details ?? {};
  }
}

export function isVouchError(err: unknown, code?: ErrorCode): err is VouchError {
  return err instanceof VouchError && (code === undefined || err.code === code);
}
