// Image references in YAML files: Kubernetes manifests (one or more documents) and Compose files.
// Works on the YAML syntax tree, not on plain JS values, so that every reference comes with the
// exact source range of its scalar: pinning then splices new text into that range and leaves
// every other byte (comments, quoting, indentation, key order) as it was.
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node, Scalar, YAMLMap } from 'yaml';
import { VouchError } from '../core/errors.js';
import type { RawReference } from './pin-types.js';
import { formatPath } from './validate.js';

/** Caps the tree walk, so that aliases cannot make a small file expensive ("billion laughs"). */
const MAX_NODES = 100_000;
/** `List` inside `List` is not something Kubernetes produces; a few levels are plenty. */
const MAX_LIST_DEPTH = 4;
/** Compose merge keys (`<<: *base`) may chain; a short chain is all real files use. */
const MAX_MERGE_DEPTH = 8;

/** Where each workload kind keeps its pod spec. */
const POD_SPEC: Record<string, readonly string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  PodTemplate: ['template', 'spec'],
};
const CONTAINER_LISTS = [
  ['containers', 'container'],
  ['initContainers', 'init container'],
  ['ephemeralContainers', 'ephemeral container'],
] as const;

type Path = (string | number)[];

/** A YAML syntax error, with the position yaml reports. */
export interface YamlError {
  line: number;
  column: number;
  message: string;
}

class Walker {
  private visited = 0;
  readonly found: RawReference[] = [];

  constructor(
    private readonly doc: Document,
    private readonly index: number,
    private readonly source: string,
  ) {}

  /** Follows an alias to its anchored node. */
  deref(node: unknown): Node | null {
    if (node === null || node === undefined) return null;
    if (++this.visited > MAX_NODES) throw new VouchError('TOO_LARGE', 'the YAML expands to too many nodes (aliases?)');
    const n = node as Node;
    return isAlias(n) ? ((n.resolve(this.doc) ?? null) as Node | null) : n;
  }

  /** `map[key]`, looking through Compose/YAML 1.1 merge keys (`<<: *base`) when the map lacks it. */
  get(map: Node | null, key: string, depth = 0): Node | null {
    if (!isMap(map) || depth > MAX_MERGE_DEPTH) return null;
    const own = (map as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === key);
    if (own) return this.deref(own.value);
    for (const p of (map as YAMLMap).items) {
      if (!isScalar(p.key) || p.key.value !== '<<') continue;
      const merged = this.deref(p.value);
      const sources = isSeq(merged) ? merged.items.map((x) => this.deref(x)) : [merged];
      for (const s of sources) {
        const v = this.get(s, key, depth + 1);
        if (v !== null) return v;
      }
    }
    return null;
  }

  getPath(node: Node | null, keys: readonly string[]): Node | null {
    let n = node;
    for (const k of keys) n = this.get(n, k);
    return n;
  }

  private text(node: Node | null): string | undefined {
    return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
  }

  /** Records the reference held by `node` (the value of an `image` key). */
  private addImage(node: Node | null, path: Path, where: string, object: string, kind: 'kubernetes' | 'compose'): void {
    const base = { where, object, path: formatPath(path), document: this.index, kind };
    if (!isScalar(node) || node.range == null) {
      const start = node?.range?.[0] ?? -1;
      const end = node?.range?.[1] ?? start;
      this.found.push({ ...base, offset: start, length: 0, reference: start >= 0 ? this.source.slice(start, end) : '', unresolvable: 'the image is not a string' });
      return;
    }
    this.found.push({ ...base, ...locate(node as Scalar, this.source) });
  }

  /** Kubernetes: the containers of one object (or the items of a List). */
  kubernetes(obj: Node | null, path: Path, depth = 0): void {
    const kind = this.text(this.get(obj, 'kind'));
    if (kind === undefined) return;
    if (/List$/.test(kind) && depth < MAX_LIST_DEPTH) {
      const items = this.get(obj, 'items');
      if (isSeq(items)) items.items.forEach((it, i) => this.kubernetes(this.deref(it), [...path, 'items', i], depth + 1));
      return;
    }
    const specPath = POD_SPEC[kind];
    if (specPath === undefined) return;
    const name = this.text(this.getPath(obj, ['metadata', 'name']));
    const object = `${kind}/${name ?? '(unnamed)'}`;
    const spec = this.getPath(obj, specPath);
    for (const [list, label] of CONTAINER_LISTS) {
      const containers = this.get(spec, list);
      if (!isSeq(containers)) continue;
      containers.items.forEach((c, i) => {
        const container = this.deref(c);
        const image = this.get(container, 'image');
        if (image === null) return;
        const cname = this.text(this.get(container, 'name'));
        this.addImage(image, [...path, ...specPath, list, i, 'image'], `${kind} ${name ?? '(unnamed)'}, ${label} ${cname ?? `#${i}`}`, object, 'kubernetes');
      });
    }
  }

  /** Compose: `services.<name>.image`. */
  compose(root: Node | null): void {
    const services = this.get(root, 'services');
    if (!isMap(services)) return;
    for (const p of services.items) {
      const name = isScalar(p.key) ? String(p.key.value) : '?';
      const image = this.get(this.deref(p.value), 'image');
      if (image === null) continue;
      this.addImage(image, ['services', name, 'image'], `service ${name}`, `service ${name}`, 'compose');
    }
  }
}

/** The reference text of a scalar and its range in the source: inside the quotes for quoted scalars. */
function locate(node: Scalar, source: string): Pick<RawReference, 'offset' | 'length' | 'reference' | 'unresolvable'> {
  const [start, end] = node.range as [number, number, number];
  const raw = source.slice(start, end);
  let offset = start;
  let text = raw;
  let why: string | undefined;
  if (node.value === null || raw === '') {
    return { offset: start, length: 0, reference: '', unresolvable: 'no image is given' };
  }
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') {
    offset = start + 1;
    text = raw.slice(1, -1);
    if (text !== String(node.value)) why = 'the quoted string uses escape sequences or line breaks; write the reference plainly';
  } else if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    // A block scalar: the reference is the one line of content after the header.
    const value = String(node.value).trim();
    const body = raw.indexOf('\n') + 1;
    const at = body > 0 ? raw.indexOf(value, body) : -1;
    if (value === '' || at < 0 || /\s/.test(value)) {
      why = 'a block scalar that is not a single reference';
    } else {
      offset = start + at;
      text = value;
    }
  }
  // Variables first: a template such as `{{ .Values.image }}` also contains spaces.
  if (why === undefined && (text.includes('$') || text.includes('{{'))) {
    why = `the reference uses variables (${text}); vouch pins only literal references: pin the value where the variable is set`;
  }
  if (why === undefined && text === '') why = 'no image is given';
  if (why === undefined && /\s/.test(text)) why = 'the value is not a single reference (it spans lines or contains spaces)';
  return why === undefined ? { offset, length: text.length, reference: text } : { offset, length: 0, reference: text, unresolvable: why };
}

/** yaml's messages end with "at line L, column C:" and a source excerpt; the position is reported separately. */
function shortMessage(message: string): string {
  return (message.split('\n')[0] as string).replace(/ at line \d+, column \d+:?$/, '');
}

/** Parses every document; throws `INVALID_YAML` listing the syntax errors with their positions. */
export function scanYaml(source: string, file: string): RawReference[] {
  const docs = parseAllDocuments(source, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const errors: YamlError[] = list.flatMap((d) => d.errors).map((e) => ({
    line: e.linePos?.[0].line ?? 1,
    column: e.linePos?.[0].col ?? 1,
    message: shortMessage(e.message),
  }));
  if (errors.length > 0) {
    const lines = errors.map((e) => `${file}:${e.line}:${e.column}: ${e.message}`);
    throw new VouchError('INVALID_YAML', errors.length === 1 ? `invalid YAML: ${lines[0] as string}` : `invalid YAML (${errors.length} errors):\n  ${lines.join('\n  ')}`, {
      hint: 'fix the YAML syntax; vouch pin changes nothing in a file it cannot parse',
      details: { file, errors },
    });
  }
  const found: RawReference[] = [];
  list.forEach((doc, index) => {
    const w = new Walker(doc, index, source);
    const root = w.deref(doc.contents);
    // A document with `kind` is a Kubernetes object; one with `services` is a Compose file.
    if (w.get(root, 'kind') !== null) w.kubernetes(root, []);
    else w.compose(root);
    found.push(...w.found);
  });
  return found;
}
