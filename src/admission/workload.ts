// Where a workload's images are: the pod spec of a Pod, or the pod template of a workload
// controller (k8s.io/api core/v1 PodSpec; apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet;
// batch/v1 Job, CronJob; core/v1 ReplicationController, PodTemplate), and in it every container
// list. Each image is found with its JSON Pointer (RFC 6901) so that a pin can be a JSON Patch
// (RFC 6902) operation on exactly that field.
import { VouchError, isJsonObject, type JsonObject, type JsonValue } from '../core/index.js';
import type { GroupVersionKind } from './review.js';

/** The container lists of a PodSpec, in the order the kubelet starts them. */
export const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
export type ContainerList = (typeof CONTAINER_LISTS)[number];

/** Path from the object to its PodSpec, by group and kind. */
const POD_SPEC_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  ['/Pod', ['spec']],
  ['/ReplicationController', ['spec', 'template', 'spec']],
  ['/PodTemplate', ['template', 'spec']],
  ['apps/Deployment', ['spec', 'template', 'spec']],
  ['apps/ReplicaSet', ['spec', 'template', 'spec']],
  ['apps/StatefulSet', ['spec', 'template', 'spec']],
  ['apps/DaemonSet', ['spec', 'template', 'spec']],
  ['batch/Job', ['spec', 'template', 'spec']],
  ['batch/CronJob', ['spec', 'jobTemplate', 'spec', 'template', 'spec']],
]);

/** The kinds whose images vouch finds, as `group/Kind` (core kinds as `Kind`). */
export const SUPPORTED_KINDS: readonly string[] = [...POD_SPEC_PATHS.keys()].map((k) => k.replace(/^\//, ''));

/** A pod with more containers than this is refused: no real pod comes near it, and each costs a check. */
export const MAX_IMAGE_FIELDS = 1024;

/** One image field of a workload. */
export interface ImageField {
  /** JSON Pointer to the `image` field, e.g. /spec/template/spec/containers/0/image */
  pointer: string;
  list: ContainerList;
  /** the container's name (as written; '' when missing) */
  container: string;
  /** the image as written */
  image: string;
}

export function podSpecPath(kind: GroupVersionKind): readonly string[] | undefined {
  return POD_SPEC_PATHS.get(`${kind.group}/${kind.kind}`);
}

function malformed(where: string, what: string): VouchError {
  return new VouchError('INVALID_ARGUMENT', `the object's ${where} ${what}`, { hint: 'the API server sends objects that passed its own validation; this one did not come from it' });
}

/**
 * Every image field of `object`, whose kind is `kind`. Undefined when vouch does not know where
 * the kind keeps images. A template may leave `image` out (a controller fills it in later; the
 * pods it makes are checked when they are created); a non-string image is malformed.
 */
export function imageFields(kind: GroupVersionKind, object: JsonObject): ImageField[] | undefined {
  const path = podSpecPath(kind);
  if (path === undefined) return undefined;
  let node: JsonValue | undefined = object;
  for (const key of path) {
    if (!isJsonObject(node)) return [];
    node = node[key];
  }
  if (node === undefined || node === null) return [];
  if (!isJsonObject(node)) throw malformed(path.join('.'), 'is not an object');
  const fields: ImageField[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = node[list];
    if (containers === undefined || containers === null) continue;
    if (!Array.isArray(containers)) throw malformed(`${path.join('.')}.${list}`, 'is not a list');
    if (fields.length + containers.length > MAX_IMAGE_FIELDS) {
      throw new VouchError('TOO_LARGE', `the object has more than ${MAX_IMAGE_FIELDS} containers`, { details: { size: fields.length + containers.length, limit: MAX_IMAGE_FIELDS } });
    }
    containers.forEach((c, i) => {
      if (!isJsonObject(c)) throw malformed(`${path.join('.')}.${list}[${i}]`, 'is not an object');
      const image = c.image;
      if (image === undefined || image === null || image === '') return;
      if (typeof image !== 'string') throw malformed(`${path.join('.')}.${list}[${i}].image`, 'is not a string');
      fields.push({ pointer: `/${[...path, list, String(i), 'image'].join('/')}`, list, container: typeof c.name === 'string' ? c.name : '', image });
    });
  }
  return fields;
}

/**
 * The image pinned to `digest` as `image:tag@digest`: the text as written with the digest added
 * (docker's `latest` made explicit when no tag is written). Undefined when it already names a digest.
 */
export function pinnedImage(image: string, digest: string): string | undefined {
  if (image.includes('@')) return undefined;
  const tagged = image.lastIndexOf(':') > image.lastIndexOf('/');
  return `${image}${tagged ? '' : ':latest'}@${digest}`;
}

/** A JSON Patch operation (RFC 6902 section 4) of the two kinds vouch sends. */
export type PatchOperation = { op: 'test' | 'replace'; path: string; value: string };

/**
 * The JSON Patch that pins each field to its digest. Every replace is preceded by a test of the
 * value vouch checked (RFC 6902 section 4.6), so the patch cannot apply to an image it did not see.
 */
export function pinPatch(pins: readonly { field: ImageField; pinned: string }[]): PatchOperation[] {
  return pins.flatMap(({ field, pinned }) => [
    { op: 'test' as const, path: field.pointer, value: field.image },
    { op: 'replace' as const, path: field.pointer, value: pinned },
  ]);
}
