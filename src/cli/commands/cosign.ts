// vouch cosign …: cosign signatures and attestations, as Sigstore bundles referring to the image
// (cosign v3's default) or in the legacy `.sig`/`.att` tags, and of blobs, answering like the cosign
// CLI (sigstore/cosign cmd/cosign/cli): generate-key-pair, import-key-pair, sign, verify, attest,
// verify-attestation, sign-blob, verify-blob. Transparency logs cannot be reached from here, so
// signing needs --tlog-upload=false and key-based verification --insecure-ignore-tlog=true, the flags
// cosign users of private deployments pass; keyless verification checks the log's evidence offline
// against a trusted root the user gives (--trusted-root).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import { cosignPublicKeyPem, decryptCosignKey, encryptCosignKey, parseCosignPublicKey } from '../../keys/cosign.js';
import { readFileIfExists, writePrivateFile } from '../../keys/fsutil.js';
import { ttyPrompt } from '../../keys/prompt.js';
import { parseReference } from '../../oci/reference.js';
import { attestCosign, signCosign, verifyCosign, verifyCosignAttestations, type CosignFormat, type CosignSignatureOutcome, type CosignVerifier } from '../../client/cosign.js';
import * as cosign from '../../sig/cosign/legacy.js';
import * as blob from '../../sig/cosign/blob.js';
import * as keyless from '../../sig/cosign/keyless.js';
import * as trustroot from '../../sig/cosign/trustroot.js';
import type { Context } from '../context.js';
import { ExitStatus, EXIT } from '../output.js';
import { withSession } from './trust-common.js';

const MAX_KEY_FILE_BYTES = 64 * 1024;

/** `-a key=value` pairs. */
export function parseAnnotations(pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (pairs === undefined || pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new VouchError('INVALID_ARGUMENT', `annotation '${p}' is not key=value`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/** COSIGN_PASSWORD (empty allowed, as in cosign), else a prompt on a terminal. */
async function password(ctx: Context, createNew: boolean): Promise<string> {
  const fromEnv = ctx.env.COSIGN_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  const prompt = ctx.io.stdinIsTTY ? ttyPrompt({ minLength: 0 }) : undefined;
  if (prompt === undefined) {
    throw new VouchError('NO_PASSPHRASE', 'no password for the cosign key', { hint: 'set COSIGN_PASSWORD (it may be empty)' });
  }
  return prompt({ role: 'cosign', label: 'cosign', createNew, attempt: 0 });
}

async function readKeyFile(path: string, what: string): Promise<Buffer> {
  let bytes: Buffer;
  try { bytes = await readFile(path); } catch (err) {
    throw new VouchError('CONFIG', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (bytes.byteLength > MAX_KEY_FILE_BYTES) throw new VouchError('TOO_LARGE', `${path} is over ${MAX_KEY_FILE_BYTES} bytes: not a key file`);
  return bytes;
}

async function writeKeyPair(ctx: Context, key: KeyObject, prefix: string, force: boolean): Promise<void> {
  const keyPath = resolve(ctx.cwd, `${prefix}.key`);
  const pubPath = resolve(ctx.cwd, `${prefix}.pub`);
  for (const p of [keyPath, pubPath]) {
    if (existsSync(p) && !force) throw new VouchError('CONFLICT', `File ${p} already exists`, { hint: 'remove it, choose another --output-key-prefix, or pass --yes to overwrite' });
  }
  await writePrivateFile(keyPath, await encryptCosignKey(key, await password(ctx, true)));
  await writeFile(pubPath, cosignPublicKeyPem(key), { mode: 0o644 });
  ctx.io.err(`Private key written to ${prefix}.key\nPublic key written to ${prefix}.pub\n`);
}

export async function cosignGenerateKeyPair(ctx: Context, opts: { outputKeyPrefix: string; yes?: boolean }): Promise<void> {
  // cosign generate-key-pair makes ECDSA P-256 keys (sigstore/cosign pkg/cosign/keys.go GeneratePrivateKey).
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeKeyPair(ctx, privateKey, opts.outputKeyPrefix, Boolean(opts.yes));
}

export async function cosignImportKeyPair(ctx: Context, opts: { key: string; outputKeyPrefix: string; yes?: boolean }): Promise<void> {
  const bytes = await readKeyFile(resolve(ctx.cwd, opts.key), 'key');
  let key: KeyObject;
  try {
    // PKCS#8 `PRIVATE KEY`, `EC PRIVATE KEY` (SEC 1) and `RSA PRIVATE KEY` (PKCS#1), as cosign imports them.
    key = createPrivateKey({ key: bytes, format: 'pem' });
  } catch (err) {
    throw new VouchError('INVALID_KEY', `${opts.key} is not an unencrypted PEM private key (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)`, { cause: err });
  }
  const type = key.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa' && type !== 'ed25519') throw new VouchError('UNSUPPORTED_KEY_TYPE', `cosign keys are ECDSA, RSA or Ed25519, not ${String(type)}`);
  await writeKeyPair(ctx, key, opts.outputKeyPrefix, Boolean(opts.yes));
}

export interface CosignSignOptions { key: string; annotations?: string[]; tlogUpload?: boolean; newBundleFormat?: boolean; useSigningConfig?: boolean; yes?: boolean }

/** Writing: a bundle unless --new-bundle-format=false (cosign v3's default). */
function writeFormat(newBundleFormat: boolean | undefined): CosignFormat {
  return newBundleFormat === false ? 'legacy' : 'bundle';
}

/** Reading: bundles and the legacy tag, or the legacy tag alone with --new-bundle-format=false. */
function readFormats(newBundleFormat: boolean | undefined): CosignFormat[] {
  return newBundleFormat === false ? ['legacy'] : ['legacy', 'bundle'];
}

function requireNoTlogUpload(tlogUpload: boolean | undefined): void {
  if (tlogUpload !== false) {
    throw new VouchError('INVALID_ARGUMENT', 'vouch does not upload to a transparency log (Rekor cannot be reached from here)', {
      hint: 'sign with --tlog-upload=false, and verify with --insecure-ignore-tlog=true, as cosign does for private deployments',
    });
  }
}

function requireIgnoreTlog(insecureIgnoreTlog: boolean | undefined): void {
  if (insecureIgnoreTlog !== true) {
    throw new VouchError('INVALID_ARGUMENT', 'vouch checks no transparency log for key-based cosign signatures yet', {
      hint: 'for signatures made with --tlog-upload=false, pass --insecure-ignore-tlog=true, as cosign requires',
    });
  }
}

export async function cosignSign(ctx: Context, images: string[], opts: CosignSignOptions): Promise<void> {
  requireNoTlogUpload(opts.tlogUpload);
  const refs = images.map((i) => parseReference(i));
  const key = await decryptCosignKey(await readKeyFile(resolve(ctx.cwd, opts.key), 'key'), await password(ctx, false));
  const annotations = parseAnnotations(opts.annotations);
  const format = writeFormat(opts.newBundleFormat);
  await withSession(ctx, {}, async (s) => {
    for (const ref of refs) {
      const r = await signCosign(s, ref, key, { format, ...(annotations ? { annotations } : {}) });
      ctx.io.err(`Pushing signature to: ${r.repository}\n`);
    }
  });
}

/** cosign's keyless verification flags (cmd/cosign/cli/options/certificate.go), and the trusted root. */
export interface KeylessOptions {
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  certificateGithubWorkflowTrigger?: string;
  certificateGithubWorkflowSha?: string;
  certificateGithubWorkflowName?: string;
  certificateGithubWorkflowRepository?: string;
  certificateGithubWorkflowRef?: string;
  trustedRoot?: string;
}

export function identityPolicy(o: KeylessOptions): keyless.IdentityPolicy {
  const github: NonNullable<keyless.IdentityPolicy['github']> = {};
  if (o.certificateGithubWorkflowTrigger !== undefined) github.trigger = o.certificateGithubWorkflowTrigger;
  if (o.certificateGithubWorkflowSha !== undefined) github.sha = o.certificateGithubWorkflowSha;
  if (o.certificateGithubWorkflowName !== undefined) github.name = o.certificateGithubWorkflowName;
  if (o.certificateGithubWorkflowRepository !== undefined) github.repository = o.certificateGithubWorkflowRepository;
  if (o.certificateGithubWorkflowRef !== undefined) github.ref = o.certificateGithubWorkflowRef;
  const p: keyless.IdentityPolicy = { github };
  if (o.certificateIdentity !== undefined) p.identity = o.certificateIdentity;
  if (o.certificateIdentityRegexp !== undefined) p.identityRegexp = o.certificateIdentityRegexp;
  if (o.certificateOidcIssuer !== undefined) p.issuer = o.certificateOidcIssuer;
  if (o.certificateOidcIssuerRegexp !== undefined) p.issuerRegexp = o.certificateOidcIssuerRegexp;
  keyless.checkIdentityPolicy(p);
  return p;
}

/** A bounded read of a file the user named; a missing file says which flag named it. */
async function readUserFile(ctx: Context, path: string, flag: string, maxBytes: number): Promise<Buffer> {
  const bytes = await readFileIfExists(resolve(ctx.cwd, path), maxBytes);
  if (bytes === undefined) throw new VouchError('FILE_NOT_FOUND', `${flag} ${path}: no such file`, { details: { file: path } });
  return bytes;
}

export async function loadTrustedRoot(ctx: Context, path: string | undefined): Promise<trustroot.LoadedTrustedRoot> {
  if (path === undefined) throw trustroot.missingTrustedRoot();
  return trustroot.parseTrustedRoot(await readUserFile(ctx, path, '--trusted-root', trustroot.MAX_TRUSTED_ROOT_BYTES), { what: path });
}

export interface CosignAttestOptions { key: string; predicate: string; type: string; tlogUpload?: boolean; newBundleFormat?: boolean; useSigningConfig?: boolean; yes?: boolean }

/** Predicate files are SBOMs and provenance: bounded as the statement that carries them. */
const MAX_PREDICATE_FILE_BYTES = 8 * 1024 * 1024;

export async function cosignAttest(ctx: Context, images: string[], opts: CosignAttestOptions): Promise<void> {
  requireNoTlogUpload(opts.tlogUpload);
  const refs = images.map((i) => parseReference(i));
  const predicatePath = resolve(ctx.cwd, opts.predicate);
  let predicate: Buffer;
  try { predicate = await readFile(predicatePath); } catch (err) {
    throw new VouchError('CONFIG', `cannot read the predicate ${opts.predicate}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (predicate.byteLength > MAX_PREDICATE_FILE_BYTES) throw new VouchError('TOO_LARGE', `${opts.predicate} is ${predicate.byteLength} bytes, over the limit of ${MAX_PREDICATE_FILE_BYTES}`);
  const key = await decryptCosignKey(await readKeyFile(resolve(ctx.cwd, opts.key), 'key'), await password(ctx, false));
  const format = writeFormat(opts.newBundleFormat);
  await withSession(ctx, {}, async (s) => {
    for (const ref of refs) {
      ctx.io.err(`Using payload from: ${opts.predicate}\n`);
      const r = await attestCosign(s, ref, key, { type: opts.type, predicate, format });
      ctx.io.err(`Pushing attestation to: ${r.repository}\n`);
    }
  });
}

export interface CosignVerifyOptions extends KeylessOptions { key?: string; annotations?: string[]; insecureIgnoreTlog?: boolean; newBundleFormat?: boolean; output?: string }

/** Why nothing verified, from each signature's outcome. */
function whyNot(outcomes: readonly CosignSignatureOutcome[], none: string): string {
  return outcomes.length === 0 ? none : outcomes.map((o) => o.verdict.reason).filter(Boolean).join('; ');
}

/** cosign's check list (cmd/cosign/cli/verify/common.go PrintVerificationHeader). */
function checkList(input: string, o: { annotations: boolean; tlogOffline: boolean; key: boolean; certificate: boolean }): string {
  return `\nVerification for ${input} --\nThe following checks were performed on each of these signatures:\n${o.annotations ? '  - The specified annotations were verified.\n' : ''}` +
    `  - The cosign claims were validated\n${o.tlogOffline ? '  - Existence of the claims in the transparency log was verified offline\n' : ''}` +
    `${o.key ? '  - The signatures were verified against the specified public key\n' : ''}${o.certificate ? '  - The code-signing certificate was verified using trusted certificate authority certificates\n' : ''}`;
}

/** The names cosign gives the certificate's claims in `optional` (pkg/cosign/certextensions.go CertExtensionMap). */
const GITHUB_CLAIM_NAMES: Record<keyless.GithubWorkflowClaim, string> = {
  trigger: 'githubWorkflowTrigger', sha: 'githubWorkflowSha', name: 'githubWorkflowName', repository: 'githubWorkflowRepository', ref: 'githubWorkflowRef',
};

/** A verified payload as cosign prints it: keyless adds Subject, Issuer and the GitHub claims to `optional`. */
function printedPayload(payload: Buffer, signer: cosign.CosignVerdict['signer']): unknown {
  const p = JSON.parse(payload.toString('utf8')) as { optional?: Record<string, unknown> | null };
  if (signer === undefined) return p;
  const optional: Record<string, unknown> = { ...(p.optional ?? {}), Subject: signer.subject ?? '' };
  if (signer.issuer !== undefined) {
    optional.Issuer = signer.issuer;
    optional['1.3.6.1.4.1.57264.1.1'] = signer.issuer;
  }
  for (const [claim, value] of Object.entries(signer.github ?? {})) optional[GITHUB_CLAIM_NAMES[claim as keyless.GithubWorkflowClaim]] = value;
  return { ...p, optional };
}

/** --key and --insecure-ignore-tlog=true, or keyless: the identity flags and --trusted-root. */
async function verifierFrom(ctx: Context, opts: KeylessOptions & { key?: string; insecureIgnoreTlog?: boolean }): Promise<CosignVerifier> {
  if (opts.key !== undefined) {
    requireIgnoreTlog(opts.insecureIgnoreTlog);
    return parseCosignPublicKey(await readKeyFile(resolve(ctx.cwd, opts.key), 'public key'));
  }
  const policy = identityPolicy(opts);
  return { trust: { kind: 'keyless', trustedRoot: await loadTrustedRoot(ctx, opts.trustedRoot), policy }, now: ctx.now(), ...(opts.insecureIgnoreTlog === true ? { ignoreTlog: true } : {}) };
}

/** The check list's flags for a verification (keyless: the certificate, and the log unless ignored). */
function checksOf(opts: { key?: string; insecureIgnoreTlog?: boolean }, annotations: boolean): Parameters<typeof checkList>[1] {
  const isKeyless = opts.key === undefined;
  return { annotations, tlogOffline: isKeyless && opts.insecureIgnoreTlog !== true, key: !isKeyless, certificate: isKeyless };
}

export async function cosignVerify(ctx: Context, images: string[], opts: CosignVerifyOptions): Promise<void> {
  const output = opts.output ?? 'json';
  if (output !== 'json' && output !== 'text') throw new VouchError('INVALID_ARGUMENT', `--output ${output}: expected json or text`);
  const refs = images.map((i) => ({ input: i, ref: parseReference(i) }));
  const verifier = await verifierFrom(ctx, opts);
  const annotations = parseAnnotations(opts.annotations);
  if (opts.insecureIgnoreTlog === true) ctx.io.err('WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.\n');
  let failed = false;
  await withSession(ctx, {}, async (s) => {
    for (const { input, ref } of refs) {
      const r = await verifyCosign(s, ref, verifier, { formats: readFormats(opts.newBundleFormat), ...(annotations ? { annotations } : {}) });
      if (r.verified.length === 0) {
        failed = true;
        ctx.io.err(`Error: no matching signatures: ${input}: ${whyNot(r.outcomes, `no signatures found (${r.signatureTag} or a Sigstore bundle referring to ${r.digest})`)}\n`);
        continue;
      }
      ctx.io.err(checkList(input, checksOf(opts, annotations !== undefined)));
      const verified = r.outcomes.filter((o) => o.verdict.verified);
      if (output === 'text') {
        r.verified.forEach((p, i) => {
          const signer = verified[i]?.verdict.signer;
          if (signer !== undefined) ctx.io.err(`Certificate subject: ${signer.subject ?? ''}\n${signer.issuer !== undefined ? `Certificate issuer URL: ${signer.issuer}\n` : ''}`);
          ctx.io.out(`${p.toString('utf8')}\n`);
        });
      } else {
        ctx.io.out(`${JSON.stringify(r.verified.map((p, i) => printedPayload(p, verified[i]?.verdict.signer)))}\n`);
      }
    }
  });
  if (failed) throw new ExitStatus(EXIT.FAILED);
}

/** Blobs are read whole (the signature and the library need the bytes); larger ones are refused. */
const MAX_BLOB_BYTES = 512 * 1024 * 1024;

export interface CosignSignBlobOptions { key: string; tlogUpload?: boolean; bundle?: string; outputSignature?: string; newBundleFormat?: boolean; yes?: boolean }

/** `cosign sign-blob --key`: the signature over the blob's bytes; --bundle writes cosign's bundle file (or a Sigstore bundle with --new-bundle-format). */
export async function cosignSignBlob(ctx: Context, blobPath: string, opts: CosignSignBlobOptions): Promise<void> {
  if (opts.tlogUpload !== false) {
    throw new VouchError('INVALID_ARGUMENT', 'vouch does not upload to a transparency log (Rekor cannot be reached from here)', {
      hint: 'sign with --tlog-upload=false, and verify with --insecure-ignore-tlog=true, as cosign does for private deployments',
    });
  }
  if (opts.newBundleFormat === true && opts.bundle === undefined) throw new VouchError('INVALID_ARGUMENT', '--new-bundle-format needs --bundle FILE to write the bundle to');
  const key = await decryptCosignKey(await readKeyFile(resolve(ctx.cwd, opts.key), 'key'), await password(ctx, false));
  const data = await readUserFile(ctx, blobPath, 'blob', MAX_BLOB_BYTES);
  const signature = cosign.signPayload(key, data);
  if (opts.newBundleFormat === true && opts.bundle !== undefined) {
    await writeFile(resolve(ctx.cwd, opts.bundle), blob.newBlobBundle(data, signature, key), { mode: 0o600 });
    ctx.io.err(`Wrote bundle to file ${opts.bundle}\n`);
    return;
  }
  if (opts.bundle !== undefined) {
    await writeFile(resolve(ctx.cwd, opts.bundle), blob.legacyBlobBundle(signature), { mode: 0o600 });
    ctx.io.err(`Wrote bundle to file ${opts.bundle}\n`);
  }
  const b64 = signature.toString('base64');
  if (opts.outputSignature !== undefined) {
    await writeFile(resolve(ctx.cwd, opts.outputSignature), b64, { mode: 0o600 });
    ctx.io.err(`Wrote signature to file ${opts.outputSignature}\n`);
  } else {
    ctx.io.out(`${b64}\n`);
  }
}

export interface CosignVerifyBlobOptions extends KeylessOptions {
  key?: string; signature?: string; bundle?: string; certificate?: string; certificateChain?: string; rfc3161Timestamp?: string; insecureIgnoreTlog?: boolean;
}

/**
 * `cosign verify-blob`: with --key, the signature (from --signature or the bundle) over the blob;
 * keyless, the bundle's (or --certificate's) Fulcio certificate, its log entry or timestamp and the
 * identity flags, offline against --trusted-root. `Verified OK` on stderr, exit 1 otherwise.
 */
export async function cosignVerifyBlob(ctx: Context, blobPath: string, opts: CosignVerifyBlobOptions): Promise<void> {
  if (opts.bundle === undefined && opts.signature === undefined) throw new VouchError('INVALID_ARGUMENT', 'verify-blob needs --bundle FILE or --signature FILE');
  const ignoreTlog = opts.insecureIgnoreTlog === true;
  const policy = opts.key === undefined ? identityPolicy(opts) : undefined;
  const data = await readUserFile(ctx, blobPath, 'blob', MAX_BLOB_BYTES);
  const bundleFile = opts.bundle === undefined ? undefined : blob.parseBlobBundle(await readUserFile(ctx, opts.bundle, '--bundle', keyless.MAX_BUNDLE_BYTES), opts.bundle);
  if (bundleFile?.format === 'sigstore' && bundleFile.bundle.content.$case === 'dsseEnvelope') {
    throw new VouchError('INVALID_ARGUMENT', `${opts.bundle ?? ''} holds an attestation (DSSE), not a blob signature`, { hint: 'verify it with verify-blob-attestation' });
  }
  if (ignoreTlog) ctx.io.err('WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the blob.\n');
  const signature = opts.signature !== undefined
    ? blob.parseSignatureFile(await readUserFile(ctx, opts.signature, '--signature', blob.MAX_SIGNATURE_FILE_BYTES))
    : bundleFile?.format === 'legacy' ? bundleFile.signature : undefined;
  const extra = {
    ...(opts.certificateChain !== undefined ? { chain: (await readUserFile(ctx, opts.certificateChain, '--certificate-chain', 1024 * 1024)).toString('utf8') } : {}),
    ...(opts.rfc3161Timestamp !== undefined ? { rfc3161Timestamp: (await readUserFile(ctx, opts.rfc3161Timestamp, '--rfc3161-timestamp', 1024 * 1024)).toString('utf8') } : {}),
  };
  if (opts.key !== undefined) {
    const key = parseCosignPublicKey(await readKeyFile(resolve(ctx.cwd, opts.key), 'public key'));
    if (bundleFile?.format === 'sigstore') {
      if (!ignoreTlog && opts.trustedRoot === undefined) throw tlogNeeded();
      const trustedRoot = opts.trustedRoot === undefined ? undefined : await loadTrustedRoot(ctx, opts.trustedRoot);
      keyless.verifySigstoreBundle(bundleFile.bundle, data, { kind: 'key', key, ...(trustedRoot ? { trustedRoot } : {}) }, { now: ctx.now(), ignoreTlog });
    } else {
      if (!ignoreTlog) throw tlogNeeded();
      if (signature === undefined || !cosign.payloadSignatureValid(key, data, signature)) {
        throw new VouchError('INVALID_SIGNATURE', 'invalid signature when validating ASN.1 encoded signature');
      }
    }
    ctx.io.err('Verified OK\n');
    return;
  }
  const trustedRoot = await loadTrustedRoot(ctx, opts.trustedRoot);
  let bundle;
  if (bundleFile?.format === 'sigstore') {
    bundle = bundleFile.bundle;
  } else {
    const certificate = opts.certificate !== undefined
      ? (await readUserFile(ctx, opts.certificate, '--certificate', 1024 * 1024)).toString('utf8')
      : bundleFile?.format === 'legacy' ? bundleFile.cert : undefined;
    if (certificate === undefined || !certificate.includes('BEGIN CERTIFICATE')) {
      throw new VouchError('INVALID_ARGUMENT', 'keyless verification needs a certificate: a bundle that carries one, or --certificate FILE', { hint: 'for a key-based signature, pass --key' });
    }
    if (signature === undefined) throw new VouchError('INVALID_ARGUMENT', 'no signature: pass --signature FILE or --bundle FILE');
    bundle = keyless.legacyPartsToBundle({
      signature, payload: data, certificate, ...extra,
      ...(bundleFile?.format === 'legacy' && bundleFile.rekorBundle !== undefined ? { rekorBundle: bundleFile.rekorBundle } : {}),
    }, opts.bundle ?? opts.signature ?? 'the signature');
  }
  keyless.verifySigstoreBundle(bundle, data, { kind: 'keyless', trustedRoot, policy: policy ?? {} }, { now: ctx.now(), ignoreTlog });
  ctx.io.err('Verified OK\n');
}

function tlogNeeded(): VouchError {
  return new VouchError('INVALID_ARGUMENT', 'vouch checks no transparency log for key-based signatures without a trusted root', {
    hint: 'for signatures made with --tlog-upload=false, pass --insecure-ignore-tlog=true, as cosign requires (or --trusted-root FILE to check the bundle\'s log entry offline)',
  });
}

export interface CosignVerifyAttestationOptions extends KeylessOptions { key?: string; type: string; annotations?: string[]; insecureIgnoreTlog?: boolean; newBundleFormat?: boolean }

export async function cosignVerifyAttestation(ctx: Context, images: string[], opts: CosignVerifyAttestationOptions): Promise<void> {
  const refs = images.map((i) => ({ input: i, ref: parseReference(i) }));
  const verifier = await verifierFrom(ctx, opts);
  const annotations = parseAnnotations(opts.annotations);
  if (opts.insecureIgnoreTlog === true) ctx.io.err('WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the attestation.\n');
  let failed = false;
  await withSession(ctx, {}, async (s) => {
    for (const { input, ref } of refs) {
      const r = await verifyCosignAttestations(s, ref, verifier, { type: opts.type, formats: readFormats(opts.newBundleFormat), ...(annotations ? { annotations } : {}) });
      if (r.verified.length === 0) {
        failed = true;
        const why = r.otherPredicateTypes.length > 0
          ? `none of the attestations matched the predicate type: ${opts.type}, found: ${r.otherPredicateTypes.join(',')}`
          : `no matching attestations: ${whyNot(r.outcomes, `none found (${r.signatureTag} or a Sigstore bundle referring to ${r.digest})`)}`;
        ctx.io.err(`Error: ${input}: ${why}\n`);
        continue;
      }
      ctx.io.err(checkList(input, checksOf(opts, annotations !== undefined)));
      // cosign prints attestations as they are ("text" mode), one envelope per line
      for (const p of r.verified) ctx.io.out(`${p.toString('utf8').trimEnd()}\n`);
    }
  });
  if (failed) throw new ExitStatus(EXIT.FAILED);
}
