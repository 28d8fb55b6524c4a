// notary-server's error codes and bodies (notary server/errors/errors.go): `{"errors":[{"code","message","detail"}]}`,
// served as application/json. `detail` is omitted when undefined (Go's omitempty), so
// `detail: {}` and no detail at all are both reproducible.

export type NotaryErrorCode =
  | 'MALFORMED_UPLOAD'
  | 'NO_FILENAME'
  | 'INVALID_ROLE'
  | 'MALFORMED_JSON'
  | 'INVALID_UPDATE'
  | 'VERSION'
  | 'INVALID_GUN'
  | 'INVALID_PARAMETERS'
  | 'METADATA_NOT_FOUND'
  | 'GENERIC_NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'UPDATING'
  | 'NO_STORAGE'
  | 'NO_CRYPTOSERVICE'
  | 'NO_KEYALGORITHM'
  | 'UNKNOWN'
  // docker/distribution's errcode.ErrorCodeUnavailable (registry/api/errcode/register.go), which
  // notary registers through that package: the trust database is unreachable for now, or the
  // process-wide budget of request bytes in flight is used up (503, with Retry-After).
  | 'UNAVAILABLE'
  // not in notary: a body over the configured limit (413). The real client treats any status
  // other than 200/400/404 as a server failure, which is what an oversized upload is to it.
  | 'TOO_LARGE';

const CODES: Record<NotaryErrorCode, { status: number; message: string }> = {
  MALFORMED_UPLOAD: { status: 400, message: 'The body of your request is malformed.' },
  NO_FILENAME: { status: 400, message: 'No file/role name provided.' },
  INVALID_ROLE: { status: 400, message: 'The role you are attempting to operate on is invalid.' },
  MALFORMED_JSON: { status: 400, message: 'JSON sent by the client could not be parsed by the server' },
  INVALID_UPDATE: { status: 400, message: 'Update sent by the client is invalid.' },
  VERSION: { status: 400, message: 'A newer version of metadata is already available.' },
  INVALID_GUN: { status: 400, message: 'The server does not support actions on images of this name.' },
  INVALID_PARAMETERS: { status: 400, message: 'The parameters provided are not valid.' },
  METADATA_NOT_FOUND: { status: 404, message: 'You have requested metadata that does not exist.' },
  GENERIC_NOT_FOUND: { status: 404, message: 'You have requested a resource that does not exist.' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  UPDATING: { status: 500, message: 'An error has occurred while updating the TUF repository.' },
  NO_STORAGE: { status: 500, message: 'The server is misconfigured and has no storage.' },
  NO_CRYPTOSERVICE: { status: 500, message: 'The server does not have a signing service configured.' },
  NO_KEYALGORITHM: { status: 500, message: 'The server does not have a key algorithm configured.' },
  UNKNOWN: { status: 500, message: 'unknown error' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  TOO_LARGE: { status: 413, message: 'The body of your request is too large.' },
};

/** An error answered with notary's status and body. Thrown inside handlers, rendered by the app. */
export class NotaryHttpError extends Error {
  readonly code: NotaryErrorCode;
  readonly status: number;
  readonly detail: unknown;
  /** Extra response headers (the auth challenge). */
  readonly headers: Record<string, string>;
  /** Why, for the log (never echoed to the client beyond `detail`). */
  readonly reason: string | undefined;

  constructor(code: NotaryErrorCode, detail?: unknown, opts: { headers?: Record<string, string>; cause?: unknown; reason?: string } = {}) {
    super(`${CODES[code].message}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`,
      opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'NotaryHttpError';
    this.code = code;
    this.status = CODES[code].status;
    this.detail = detail;
    this.headers = opts.headers ?? {};
    this.reason = opts.reason;
  }
}

export function statusOf(code: NotaryErrorCode): number {
  return CODES[code].status;
}

/**
 * The response body for one error, byte-compatible with notary (code, message, detail order, and
 * the newline Go's json.Encoder writes after it).
 */
export function errorBody(code: NotaryErrorCode, detail?: unknown): string {
  const entry: { code: string; message: string; detail?: unknown } = { code, message: CODES[code].message };
  if (detail !== undefined) entry.detail = detail;
  return JSON.stringify({ errors: [entry] }) + '\n';
}

/**
 * The `detail` of INVALID_UPDATE, in the shapes the real client decodes
 * (`{"Name":"ErrBadRoot","Error":{"Msg":…}}`, notary server/errors/errors.go).
 */
export type ValidationErrorName = 'ErrValidation' | 'ErrBadRoot' | 'ErrBadTargets' | 'ErrBadSnapshot' | 'ErrBadHierarchy';

export interface ValidationDetail {
  Name: ValidationErrorName;
  Error: { Msg: string; Missing?: string };
}

export function validationDetail(name: ValidationErrorName, msg: string, missing?: string): ValidationDetail {
  // Field order as Go serializes ErrBadHierarchy: Missing before Msg.
  return { Name: name, Error: missing === undefined ? { Msg: msg } : { Missing: missing, Msg: msg } };
}

export function invalidUpdate(name: ValidationErrorName, msg: string, missing?: string): NotaryHttpError {
  return new NotaryHttpError('INVALID_UPDATE', validationDetail(name, msg, missing));
}
