// admission: the Kubernetes admission webhook (`vouch admission`, docs/admission.md): AdmissionReview
// v1 in, a verdict per image through the client's checkPolicy, tags pinned to verified digests.
export { ADMISSION_API_VERSION, ADMISSION_KIND, admissionAnswer, parseAdmissionReview, type AdmissionRequest, type AdmissionResponse } from './review.js';
export { CONTAINER_LISTS, MAX_IMAGE_FIELDS, SUPPORTED_KINDS, imageFields, pinPatch, pinnedImage, type ImageField, type PatchOperation } from './workload.js';
export { DEFAULT_VERDICT_CACHE, VerdictCache, type ImageVerdict, type VerdictCacheOptions } from './verdicts.js';
export { SharedRepoLoads, checkImage, describeRule, trustValidUntil } from './check.js';
export { checkExclusions, exclusionsFromConfig, type Exclusions } from './exclusions.js';
export {
  DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES, DEFAULT_WEBHOOK_TIMEOUT_MS, createAdmissionWebhook, denialLine, parseGoDuration, reviewDeadlineMs,
  type AdmissionWebhook, type AdmissionWebhookOptions, type FailurePolicy,
} from './webhook.js';
export { ADMISSION_NETWORK_DEADLINES, policyHash, runAdmission, type RunAdmissionOptions, type RunningAdmission } from './run.js';
export { DEFAULT_NAME, admissionManifests, manifestsYaml, type ManifestOptions } from './manifests.js';
