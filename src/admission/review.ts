// AdmissionReview v1 (admission.k8s.io/v1) as the API server sends and reads it. The field names and
// shapes follow k8s.io/api admission/v1/types.go (AdmissionReview, AdmissionRequest,
// AdmissionResponse); the API server's checks of an answer are in k8s.io/apiserver
// pkg/admission/plugin/webhook/request/admissionreview.go (VerifyAdmissionResponse: the same
// apiVersion and kind, the request's uid, no patch from a validating webhook, patchType JSONPatch).
// Every byte is hostile: the body is parsed bounded, and only the fields vouch uses are read.
import { VouchError, isJsonObject, parseJson, type JsonObject, type JsonValue } from '../core/index.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const ADMISSION_KIND = 'AdmissionReview';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const OPERATIONS: ReadonlySet<string> = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

/** metav1.GroupVersionKind */
export interface GroupVersionKind { group: string; version: string; kind: string }

/** The part of an AdmissionRequest vouch reads. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  /** The object of the request (absent for DELETE and CONNECT). */
  object?: JsonObject;
  dryRun: boolean;
}

/** metav1.Status, as a denial carries it (the API server shows `message` to the user). */
export interface Status { status: 'Failure'; message: string; reason: string; code: number }

/** admission/v1 AdmissionResponse */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Status;
  /** base64 of the JSON Patch (RFC 6902); only a mutating webhook may send one */
  patch?: string;
  patchType?: 'JSONPatch';
  auditAnnotations?: Record<string, string>;
  warnings?: string[];
}

/** UIDs are UUIDs (36 characters); anything much longer is not from an API server. */
const MAX_UID = 128;
const MAX_NAME = 253;

function bad(message: string): VouchError {
  return new VouchError('INVALID_ARGUMENT', `not an AdmissionReview ${ADMISSION_API_VERSION}: ${message}`, {
    hint: 'the webhook takes POST bodies of kind AdmissionReview, apiVersion admission.k8s.io/v1, as the API server sends them (admissionReviewVersions: ["v1"])',
  });
}

function optionalString(o: JsonObject, key: string, max: number, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw bad(`${where}.${key} must be a string`);
  if (v.length > max) throw bad(`${where}.${key} is longer than ${max} characters`);
  return v;
}

function gvk(v: JsonValue | undefined): GroupVersionKind {
  if (!isJsonObject(v)) throw bad('request.kind must be an object {group, version, kind}');
  const group = v.group ?? '';
  const { version, kind } = v;
  if (typeof group !== 'string' || typeof version !== 'string' || typeof kind !== 'string' || version === '' || kind === '') {
    throw bad('request.kind must have string group, version and kind');
  }
  return { group, version, kind };
}

/** Parses a request body (at most `maxBytes`) into the request; INVALID_JSON, TOO_LARGE or INVALID_ARGUMENT otherwise. */
export function parseAdmissionReview(body: Uint8Array, maxBytes: number): AdmissionRequest {
  const doc = parseJson(body, { maxBytes, what: 'the AdmissionReview' });
  if (!isJsonObject(doc)) throw bad('the body is not a JSON object');
  if (doc.apiVersion !== ADMISSION_API_VERSION) throw bad(`apiVersion is ${JSON.stringify(doc.apiVersion ?? null)}`);
  if (doc.kind !== ADMISSION_KIND) throw bad(`kind is ${JSON.stringify(doc.kind ?? null)}`);
  const r = doc.request;
  if (!isJsonObject(r)) throw bad('request is missing');
  const uid = r.uid;
  if (typeof uid !== 'string' || uid === '' || uid.length > MAX_UID) throw bad(`request.uid must be a non-empty string of at most ${MAX_UID} characters`);
  const operation = r.operation;
  if (typeof operation !== 'string' || !OPERATIONS.has(operation)) throw bad(`request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got ${JSON.stringify(operation ?? null)}`);
  const object = r.object;
  if (object !== undefined && object !== null && !isJsonObject(object)) throw bad('request.object must be an object');
  const dryRun = r.dryRun;
  if (dryRun !== undefined && dryRun !== null && typeof dryRun !== 'boolean') throw bad('request.dryRun must be true or false');
  const subResource = optionalString(r, 'subResource', MAX_NAME, 'request');
  const name = optionalString(r, 'name', MAX_NAME, 'request');
  const namespace = optionalString(r, 'namespace', MAX_NAME, 'request');
  return {
    uid, kind: gvk(r.kind), operation: operation as Operation, dryRun: dryRun === true,
    ...(subResource !== undefined ? { subResource } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(isJsonObject(object) ? { object } : {}),
  };
}

/** Warnings longer than this may be truncated by the API server (types.go, AdmissionResponse.Warnings). */
export const MAX_WARNING_CHARS = 256;
/** A few warnings say enough; many are truncated by clients anyway. */
export const MAX_WARNINGS = 20;

function shortWarnings(all: readonly string[]): string[] {
  const out = all.slice(0, MAX_WARNINGS).map((w) => (w.length > MAX_WARNING_CHARS ? `${w.slice(0, MAX_WARNING_CHARS - 1)}…` : w));
  if (all.length > MAX_WARNINGS) out[MAX_WARNINGS - 1] = `… and ${all.length - MAX_WARNINGS + 1} more (see the webhook's log)`;
  return out;
}

/** The AdmissionReview that answers `uid`. */
export function admissionAnswer(uid: string, r: { allowed: boolean; message?: string; patch?: readonly unknown[]; warnings?: readonly string[] }): { apiVersion: string; kind: string; response: AdmissionResponse } {
  const response: AdmissionResponse = { uid, allowed: r.allowed };
  if (!r.allowed) response.status = { status: 'Failure', message: r.message ?? 'denied by vouch admission', reason: 'Forbidden', code: 403 };
  if (r.allowed && r.patch !== undefined && r.patch.length > 0) {
    response.patch = Buffer.from(JSON.stringify(r.patch)).toString('base64');
    response.patchType = 'JSONPatch';
  }
  if (r.warnings !== undefined && r.warnings.length > 0) response.warnings = shortWarnings(r.warnings);
  return { apiVersion: ADMISSION_API_VERSION, kind: ADMISSION_KIND, response };
}
