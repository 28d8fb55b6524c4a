// vouch notation blob sign|verify|inspect and blob policy import|show: detached Notation
// signatures of files, answering like `notation blob …` (notation v2.0.0-alpha.1
// cmd/notation/blob/: its flags, messages and output; notation v1.3 has no blob commands), with
// notation's trustpolicy.blob.json read from notation's configuration directory.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import type { HttpTransport } from '../../http/index.js';
import { blobSignaturePath, checkContentMediaType, signBlob, signatureFormatOfPath, verifyBlob, type BlobVerifyResult } from '../../client/notation-blob.js';
import {
  importNotationBlobTrustPolicy, notationConfigDir, readNotationBlobTrustPolicy, readNotationBlobTrustPolicyBytes, readNotationTrustStores,
} from '../../keys/notation.js';
import {
  MAX_ENVELOPE_BYTES, SIGNATURE_FORMATS, describeNotationEnvelope, parseBlobTrustPolicy, parseSignatureFormat,
  type DescribedCertificate, type DescribedSignature, type ShownTime,
} from '../../sig/index.js';
import type { Context } from '../context.js';
import { goAnsic, goRfc3339 } from './notation-inspect.js';
import { parseGoDuration, parseUserMetadata, printUserMetadata, readSigningKey, revocationSources, timestamperFor } from './notation.js';

export interface BlobSignCommandOptions {
  key?: string;
  cert?: string;
  signatureFormat: string;
  expiry?: string;
  userMetadata?: string[];
  mediaType: string;
  signatureDirectory?: string;
  force?: boolean;
  timestampUrl?: string;
  timestampRootCert?: string;
}

export interface BlobVerifyCommandOptions {
  signature?: string;
  policyName?: string;
  mediaType?: string;
  userMetadata?: string[];
  output: string;
}

export async function blobSignCommand(ctx: Context, blobPath: string, opts: BlobSignCommandOptions): Promise<void> {
  if (blobPath === '') throw new VouchError('INVALID_ARGUMENT', 'blob path cannot be empty');
  if (opts.signatureDirectory === '') throw new VouchError('INVALID_ARGUMENT', 'signature directory cannot be empty');
  const format = parseSignatureFormat(opts.signatureFormat);
  const userMetadata = parseUserMetadata(opts.userMetadata);
  const expiryMs = opts.expiry !== undefined ? parseGoDuration(opts.expiry) : undefined;
  const { privateKey, chain } = await readSigningKey(ctx, opts.key, opts.cert);
  if (opts.force) ctx.io.err('Warning: existing signature file will be overwritten\n');
  // notation v2.0.0-alpha.1: the signature goes to the current directory unless --signature-directory
  // says otherwise (later notation sources default to the blob's directory)
  const signatureDirectory = opts.signatureDirectory ?? '.';
  const transports: HttpTransport[] = [];
  try {
    const timestamp = await timestamperFor(ctx, opts, transports);
    await signBlob({
      blobPath: resolve(ctx.cwd, blobPath), signatureDirectory: resolve(ctx.cwd, signatureDirectory), format, mediaType: opts.mediaType,
      privateKey, chain, now: ctx.now(), userMetadata, force: Boolean(opts.force), ...(expiryMs !== undefined ? { expiryMs } : {}),
      ...(timestamp ? { timestamp } : {}),
    });
  } finally {
    for (const t of transports) await t.close();
  }
  // notation prints the paths as given, and (sic) a space before the second line
  ctx.io.out(`Successfully signed ${blobPath}\n Signature file written to ${blobSignaturePath(signatureDirectory, blobPath, format)}\n`);
}

export async function blobVerifyCommand(ctx: Context, blobPath: string, opts: BlobVerifyCommandOptions): Promise<void> {
  if (opts.output !== 'text' && opts.output !== 'json') throw new VouchError('INVALID_ARGUMENT', `unrecognized output format ${opts.output}`, { hint: '--output text or --output json' });
  if (!opts.signature) throw new VouchError('INVALID_ARGUMENT', 'filepath of the signature cannot be empty', { hint: 'name the signature file with --signature FILE' });
  if (opts.mediaType !== undefined && opts.mediaType === '') throw new VouchError('INVALID_ARGUMENT', '--media-type is set but with empty value');
  if (opts.mediaType !== undefined) checkContentMediaType(opts.mediaType);
  signatureFormatOfPath(opts.signature);
  const userMetadata = parseUserMetadata(opts.userMetadata);
  const configDir = notationConfigDir(ctx.env);
  const { policy } = await readNotationBlobTrustPolicy(configDir);
  // notation prefixes every verification failure, a missing policy statement included
  const transports: HttpTransport[] = [];
  const r: BlobVerifyResult = await verifyBlob({
    blobPath: resolve(ctx.cwd, blobPath), signaturePath: resolve(ctx.cwd, opts.signature), policy, userMetadata, now: ctx.now(),
    readTrustStores: (stores) => readNotationTrustStores(configDir, stores), ...revocationSources(ctx, transports, false),
    ...(opts.policyName !== undefined ? { policyName: opts.policyName } : {}),
    ...(opts.mediaType !== undefined ? { mediaType: opts.mediaType } : {}),
  }).catch((err: unknown) => {
    if (err instanceof VouchError && err.code === 'POLICY_DENIED') throw new VouchError('POLICY_DENIED', `signature verification failed: ${err.message}`, { ...(err.hint ? { hint: err.hint } : {}), cause: err });
    throw err;
  }).finally(async () => {
    for (const t of transports) await t.close();
  });
  if (opts.output === 'json') ctx.io.out(`${JSON.stringify({ ...r, blobPath, signaturePath: opts.signature }, null, 2)}\n`);
  if (!r.verified) {
    const f = r.verdict?.failure;
    const why = r.error?.message ?? (f ? `${f.check} ${f.status === 'inconclusive' ? 'could not be verified' : 'failed'}: ${f.message ?? ''}` : 'not verified');
    throw new VouchError('POLICY_DENIED', `signature verification failed: ${why}`, { details: { reference: blobPath } });
  }
  if (opts.output === 'json') return;
  if (r.skipped) {
    ctx.io.out(`Trust policy is configured to skip signature verification for ${blobPath}\n`);
    return;
  }
  const warnings = (r.verdict?.checks ?? []).filter((c) => c.status === 'failed' || c.status === 'inconclusive');
  for (const c of warnings) ctx.io.err(`Warning: ${c.check} was set to "${c.action}" and failed with error: ${c.message ?? c.status}\n`);
  if (warnings.length > 0) ctx.io.out('\n');
  ctx.io.out(`Successfully verified signature for ${blobPath}\n`);
  printUserMetadata(ctx, r.verdict?.userMetadata);
}

interface TreeNode { value: string; children: TreeNode[] }
const node = (value: string, children: TreeNode[] = []): TreeNode => ({ value, children });
const pair = (k: string, v: string, children: TreeNode[] = []): TreeNode => node(`${k}: ${v}`, children);

/** notation's tree printer (cmd/notation/internal/display/metadata/tree/tree.go). */
function printTree(n: TreeNode, prefix = '', marker = '', next = ''): string {
  let out = `${prefix}${marker}${n.value}\n`;
  n.children.forEach((c, i) => {
    const last = i === n.children.length - 1;
    out += printTree(c, next, last ? '└── ' : '├── ', next + (last ? '    ' : '│   '));
  });
  return out;
}

/** Times as notation v2.0.0-alpha.1 blob inspect prints them: in UTC (Go prints the local zone). */
const inUtc = (t: ShownTime): ShownTime => ({ date: t.date, offsetMinutes: 0 });
const rfc3339 = (t: ShownTime): string => goRfc3339(inUtc(t));
const ansic = (t: ShownTime): string => goAnsic(inUtc(t));

/** The signed attributes as notation lists them: content type, scheme, time, expiry, then extended ones. */
function signedAttributes(s: DescribedSignature): [string, string | ShownTime][] {
  return [
    ['contentType', s.contentType], ['signingScheme', s.signingScheme], ['signingTime', s.signingTime],
    ...(s.expiry ? [['expiry', s.expiry] as [string, ShownTime]] : []),
    ...Object.entries(s.extendedAttributes),
  ];
}

const TREE_LABELS: Record<string, string> = { contentType: 'content type', signingScheme: 'signing scheme', signingTime: 'signing time', expiry: 'expiry' };

/**
 * `notation blob inspect`: what a signature file claims, read without verifying it (as notation:
 * any envelope it can parse), described by the same code as `notation inspect` (sig/notation/describe.ts).
 */
export async function blobInspectCommand(ctx: Context, signaturePath: string, opts: { output: string }): Promise<void> {
  if (opts.output !== 'tree' && opts.output !== 'json') throw new VouchError('INVALID_ARGUMENT', `unrecognized output format ${opts.output}`, { hint: '--output tree or --output json' });
  const format = signatureFormatOfPath(signaturePath);
  const mediaType = SIGNATURE_FORMATS[format];
  const path = resolve(ctx.cwd, signaturePath);
  const st = await stat(path).catch(() => { throw new VouchError('FILE_NOT_FOUND', `failed to read signature file: open ${signaturePath}: no such file or directory`); });
  if (st.size > MAX_ENVELOPE_BYTES) throw new VouchError('TOO_LARGE', `signature file ${signaturePath} is ${st.size} bytes, over the limit of ${MAX_ENVELOPE_BYTES}`);
  let s: DescribedSignature;
  try { s = await describeNotationEnvelope(await readFile(path), mediaType); } catch (err) {
    throw new VouchError('INVALID_SIGNATURE', `failed to parse signature: ${(err as Error).message}`, { cause: err });
  }
  const artifact = s.signedArtifact;
  const ts = s.timestamp;
  if (opts.output === 'json') {
    const certs = (list: readonly DescribedCertificate[]): unknown[] => list.map((c) => ({ SHA256Fingerprint: c.sha256Fingerprint, issuedTo: c.issuedTo, issuedBy: c.issuedBy, expiry: rfc3339(c.expiry) }));
    ctx.io.out(`${JSON.stringify({
      signatureAlgorithm: s.signatureAlgorithm,
      signatureEnvelopeType: mediaType,
      signedAttributes: Object.fromEntries(signedAttributes(s).map(([k, v]) => [k, typeof v === 'string' ? v : rfc3339(v)])),
      userDefinedAttributes: s.userDefinedAttributes ?? null,
      unsignedAttributes: {
        ...(s.signingAgent ? { signingAgent: s.signingAgent } : {}),
        ...(ts ? { timestampSignature: ts.error !== undefined ? { error: ts.error } : { timestamp: rfc3339(ts.timestamp as ShownTime), certificates: certs(ts.certificates ?? []) } } : {}),
      },
      certificates: certs(s.certificates),
      signedArtifact: artifact,
    }, null, 2)}\n`);
    return;
  }
  const certNodes = (list: readonly DescribedCertificate[]): TreeNode[] => list.map((c) => pair('SHA256 fingerprint', c.sha256Fingerprint, [pair('issued to', c.issuedTo), pair('issued by', c.issuedBy), pair('expiry', ansic(c.expiry))]));
  const annotations = s.userDefinedAttributes ?? {};
  const tree = node(signaturePath, [
    pair('signature algorithm', s.signatureAlgorithm),
    pair('signature envelope type', mediaType),
    node('signed attributes', signedAttributes(s).map(([k, v]) => pair(TREE_LABELS[k] ?? k, typeof v === 'string' ? v : ansic(v)))),
    node('user defined attributes', Object.keys(annotations).length === 0 ? [node('(empty)')] : Object.keys(annotations).sort().map((k) => pair(k, annotations[k] as string))),
    node('unsigned attributes', [
      ...(s.signingAgent ? [pair('signing agent', s.signingAgent)] : []),
      ...(ts ? [node('timestamp signature', ts.error !== undefined ? [pair('error', ts.error)] : [pair('timestamp', ansic(ts.timestamp as ShownTime)), node('certificates', certNodes(ts.certificates ?? []))])] : []),
    ]),
    node('certificates', certNodes(s.certificates)),
    node('signed artifact', [pair('media type', artifact.mediaType), pair('digest', artifact.digest), pair('size', String(artifact.size))]),
  ]);
  ctx.io.out(printTree(tree));
}

export async function blobPolicyImportCommand(ctx: Context, file: string, opts: { force?: boolean }): Promise<void> {
  const configDir = notationConfigDir(ctx.env);
  // notation validates before asking about an existing file: so does vouch
  if (opts.force && (await readNotationBlobTrustPolicyBytes(configDir)).bytes !== undefined) {
    ctx.io.err('Warning: existing blob trust policy configuration will be overwritten\n');
  }
  const r = await importNotationBlobTrustPolicy(configDir, resolve(ctx.cwd, file), Boolean(opts.force));
  ctx.io.out(`Successfully imported blob trust policy configuration to ${r.file}.\n`);
}

export async function blobPolicyShowCommand(ctx: Context): Promise<void> {
  const { file, bytes } = await readNotationBlobTrustPolicyBytes(notationConfigDir(ctx.env));
  if (bytes === undefined) {
    throw new VouchError('FILE_NOT_FOUND', `failed to show blob trust policy as the configuration does not exist.\nYou can import one using \`notation blob policy import <path-to-policy.json>\``, { details: { file } });
  }
  try { parseBlobTrustPolicy(bytes, file); } catch (err) {
    ctx.io.err('Existing blob trust policy configuration is invalid, you may update or create a new one via `notation blob policy import <path-to-policy.json>`. See https://github.com/notaryproject/specifications/blob/8cf800c60b7315a43f0adbcae463d848a353b412/specs/trust-store-trust-policy.md#trust-policy-for-blobs for a blob trust policy example.\n');
    ctx.io.out(bytes.toString());
    throw err;
  }
  ctx.io.out(bytes.toString());
}

