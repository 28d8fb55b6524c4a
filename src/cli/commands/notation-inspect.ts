// vouch notation inspect / list (alias ls): the signatures of an artifact, as notation v1.3
// prints them (notation cmd/notation/inspect.go, list.go, internal/tree/tree.go): list as a
// tree of signature manifest digests, inspect as a tree of what each signature claims or as
// notation's JSON (`-o json`). A signature vouch cannot read is shown with the reason (notation
// leaves it out); either way the command then exits 1, as notation does.
import { VouchError } from '../../core/index.js';
import { inspectNotation, listNotationSignatures, type InspectedSignature } from '../../client/notation-inspect.js';
import { NOTATION_ARTIFACT_TYPE, type DescribedCertificate, type DescribedSignature, type ShownTime } from '../../sig/index.js';
import type { Context } from '../context.js';
import { openTarget } from './notation.js';

export interface NotationListOptions {
  ociLayout?: boolean;
  plainHttp?: boolean;
  insecureRegistry?: boolean;
  maxSignatures: string;
  debug?: boolean;
  verbose?: boolean;
}

export interface NotationInspectOptions extends NotationListOptions {
  output: string;
}

export function parseMaxSignatures(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0) throw new VouchError('INVALID_ARGUMENT', `max-signatures value ${text} must be a positive number`);
  return n;
}

/** notation's resolveReferenceWithWarning, for a tag. */
function tagWarning(ctx: Context, ref: string, operation: string): void {
  if (!ref.includes(':')) {
    ctx.io.err(`Warning: Always ${operation} the artifact using digest(@sha256:...) rather than a tag(:${ref}) because resolved digest may not point to the same signed artifact, as tags are mutable.\n`);
  }
}

/** notation internal/tree: `├── ` / `└── ` items, `│   ` / `    ` under them. */
class TreeNode {
  readonly children: TreeNode[] = [];
  constructor(readonly value: string) {}
  add(value: string): TreeNode {
    const n = new TreeNode(value);
    this.children.push(n);
    return n;
  }
  addPair(key: string, value: string): TreeNode { return this.add(`${key}: ${value}`); }
  render(prefix = '', marker = '', next = ''): string {
    let out = `${prefix}${marker}${this.value}\n`;
    this.children.forEach((c, i) => {
      const last = i === this.children.length - 1;
      out += c.render(next, last ? '└── ' : '├── ', next + (last ? '    ' : '│   '));
    });
    return out;
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const shifted = (t: ShownTime): Date => new Date(t.date.getTime() + t.offsetMinutes * 60_000);

/** Go's time.RFC3339 in the time's own offset (`Z` for UTC). */
export function goRfc3339(t: ShownTime): string {
  const d = shifted(t);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  if (t.offsetMinutes === 0) return `${base}Z`;
  const o = Math.abs(t.offsetMinutes);
  return `${base}${t.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(o / 60))}:${pad(o % 60)}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Go's time.ANSIC (`Mon Jan _2 15:04:05 2006`) in the time's own offset. */
export function goAnsic(t: ShownTime): string {
  const d = shifted(t);
  return `${DAYS[d.getUTCDay()] as string} ${MONTHS[d.getUTCMonth()] as string} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

type TimeFormat = (t: ShownTime) => string;
const sorted = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k] as T]));

function signedAttributes(s: DescribedSignature, fmt: TimeFormat): Record<string, string> {
  return sorted({ signingScheme: s.signingScheme, signingTime: fmt(s.signingTime), ...(s.expiry ? { expiry: fmt(s.expiry) } : {}), ...s.extendedAttributes });
}

function certificates(certs: readonly DescribedCertificate[], fmt: TimeFormat): { SHA256Fingerprint: string; issuedTo: string; issuedBy: string; expiry: string }[] {
  return certs.map((c) => ({ SHA256Fingerprint: c.sha256Fingerprint, issuedTo: c.issuedTo, issuedBy: c.issuedBy, expiry: fmt(c.expiry) }));
}

function unsignedAttributes(s: DescribedSignature, fmt: TimeFormat): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.signingAgent !== undefined) out.signingAgent = s.signingAgent;
  if (s.timestamp) {
    out.timestampSignature = s.timestamp.error !== undefined
      ? { error: s.timestamp.error }
      : { timestamp: fmt(s.timestamp.timestamp as ShownTime), ...(s.timestamp.certificates?.length ? { certificates: certificates(s.timestamp.certificates, fmt) } : {}) };
  }
  return sorted(out);
}

/** notation inspect -o json: its inspectOutput (a readable signature per entry), and vouch's unreadable ones beside. */
function inspectJson(subjectMediaType: string, signatures: readonly InspectedSignature[]): unknown {
  const readable = signatures.filter((s) => s.described);
  const unreadable = signatures.filter((s) => !s.described);
  return {
    mediaType: subjectMediaType,
    Signatures: readable.map((e) => {
      const s = e.described as DescribedSignature;
      return {
        mediaType: s.mediaType,
        digest: e.digest,
        signatureAlgorithm: s.signatureAlgorithm,
        signedAttributes: signedAttributes(s, goRfc3339),
        userDefinedAttributes: s.userDefinedAttributes ? sorted(s.userDefinedAttributes) : null,
        unsignedAttributes: unsignedAttributes(s, goRfc3339),
        certificates: certificates(s.certificates, goRfc3339),
        signedArtifact: s.signedArtifact,
      };
    }),
    ...(unreadable.length > 0 ? { unreadableSignatures: unreadable.map((e) => ({ digest: e.digest, mediaType: e.manifestMediaType, error: e.error?.message })) } : {}),
  };
}

function addCertificates(node: TreeNode, name: string, certs: readonly { SHA256Fingerprint: string; issuedTo: string; issuedBy: string; expiry: string }[]): void {
  const list = node.add(name);
  for (const c of certs) {
    const n = list.addPair('SHA256 fingerprint', c.SHA256Fingerprint);
    n.addPair('issued to', c.issuedTo);
    n.addPair('issued by', c.issuedBy);
    n.addPair('expiry', c.expiry);
  }
}

function addMap(node: TreeNode, m: Record<string, string> | undefined): void {
  const entries = Object.entries(sorted(m ?? {}));
  if (entries.length === 0) node.add('(empty)');
  for (const [k, v] of entries) node.addPair(k, v);
}

function inspectTree(reference: string, signatures: readonly InspectedSignature[]): string {
  const root = new TreeNode(reference);
  const sigs = root.add(NOTATION_ARTIFACT_TYPE);
  for (const e of signatures) {
    const node = sigs.add(e.digest);
    if (!e.described) {
      node.addPair('media type', e.error?.envelopeMediaType ?? e.manifestMediaType);
      node.addPair('error', e.error?.message ?? 'unreadable');
      continue;
    }
    const s = e.described;
    node.addPair('media type', s.mediaType);
    node.addPair('signature algorithm', s.signatureAlgorithm);
    addMap(node.add('signed attributes'), signedAttributes(s, goAnsic));
    addMap(node.add('user defined attributes'), s.userDefinedAttributes);
    const unsigned = node.add('unsigned attributes');
    for (const [k, v] of Object.entries(unsignedAttributes(s, goAnsic))) {
      if (typeof v === 'string') { unsigned.addPair(k, v); continue; }
      const ts = unsigned.add('timestamp signature');
      const t = v as { timestamp?: string; error?: string; certificates?: ReturnType<typeof certificates> };
      if (t.error !== undefined) { ts.addPair('error', t.error); continue; }
      ts.addPair('timestamp', t.timestamp as string);
      addCertificates(ts, 'certificates', t.certificates ?? []);
    }
    addCertificates(node, 'certificates', certificates(s.certificates, goAnsic));
    const artifact = node.add('signed artifact');
    artifact.addPair('media type', s.signedArtifact.mediaType);
    artifact.addPair('digest', s.signedArtifact.digest);
    artifact.addPair('size', String(s.signedArtifact.size));
  }
  return root.render();
}

export async function notationInspectCommand(ctx: Context, reference: string, opts: NotationInspectOptions): Promise<void> {
  if (opts.output !== 'text' && opts.output !== 'json') throw new VouchError('INVALID_ARGUMENT', `unrecognized output format ${opts.output}`, { hint: "--output text or --output json" });
  const max = parseMaxSignatures(opts.maxSignatures);
  const target = openTarget(ctx, reference, opts);
  let r;
  try {
    tagWarning(ctx, target.ref, 'inspect');
    r = await inspectNotation(target.store, target.ref, max);
  } finally {
    await target.close();
  }
  const unreadable = r.signatures.filter((s) => !s.described);
  for (const s of unreadable) ctx.io.err(`Warning: Skipping signature ${s.digest} because of error: ${s.error?.message ?? 'unreadable'}\n`);
  if (opts.output === 'json') {
    ctx.io.out(`${JSON.stringify(inspectJson(r.subject.mediaType, r.signatures), null, 4)}\n`);
  } else if (r.signatures.length === 0) {
    ctx.io.out(`${r.reference} has no associated signature\n`);
  } else {
    ctx.io.out(`Inspecting all signatures for signed artifact\n${inspectTree(r.reference, r.signatures)}`);
  }
  if (r.exceededLimit !== undefined) ctx.io.out(`Warning: exceeded configured limit of max signatures ${r.exceededLimit} to examine\n`);
  if (unreadable.length > 0) {
    throw new VouchError('INVALID_SIGNATURE', `at least one signature was skipped: ${unreadable.length} of ${r.signatures.length} cannot be read by vouch`, { hint: 'each one is shown with the reason' });
  }
}

export async function notationListCommand(ctx: Context, reference: string, opts: NotationListOptions): Promise<void> {
  const max = parseMaxSignatures(opts.maxSignatures);
  const target = openTarget(ctx, reference, opts);
  let r;
  try {
    tagWarning(ctx, target.ref, 'list');
    r = await listNotationSignatures(target.store, target.ref, max);
  } finally {
    await target.close();
  }
  if (r.signatures.length === 0) {
    ctx.io.out(`${r.reference} has no associated signature\n`);
  } else {
    const root = new TreeNode(r.reference);
    const sigs = root.add(NOTATION_ARTIFACT_TYPE);
    for (const s of r.signatures) sigs.add(s.digest);
    ctx.io.out(root.render());
  }
  if (r.exceededLimit !== undefined) ctx.io.out(`Warning: exceeded configured limit of max signatures ${r.exceededLimit} to examine\n`);
}
