// vouch cosign …: key-based cosign signatures and attestations, as Sigstore bundles referring to
// the image (cosign v3's default) or in the legacy `.sig`/`.att` tags, answering like the cosign
// CLI (sigstore/cosign cmd/cosign/cli): generate-key-pair, import-key-pair, sign, verify, attest,
// verify-attestation.
// Transparency logs cannot be reached from here, so signing needs --tlog-upload=false and
// verification --insecure-ignore-tlog=true, the flags cosign users of private deployments pass.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { VouchError } from '../../core/index.js';
import { cosignPublicKeyPem, decryptCosignKey, encryptCosignKey, parseCosignPublicKey } from '../../keys/cosign.js';
import { writePrivateFile } from '../../keys/fsutil.js';
import { ttyPrompt } from '../../keys/prompt.js';
import { parseReference } from '../../oci/reference.js';
import { attestCosign, signCosign, verifyCosign, verifyCosignAttestations, type CosignFormat, type CosignSignatureOutcome } from '../../client/cosign.js';
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
    throw new VouchError('INVALID_ARGUMENT', 'vouch checks no transparency log for cosign signatures yet', {
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

export interface CosignVerifyOptions { key: string; annotations?: string[]; insecureIgnoreTlog?: boolean; newBundleFormat?: boolean; output?: string }

/** Why nothing verified, from each signature's outcome. */
function whyNot(outcomes: readonly CosignSignatureOutcome[], none: string): string {
  return outcomes.length === 0 ? none : outcomes.map((o) => o.verdict.reason).filter(Boolean).join('; ');
}

/** cosign's check list (cmd/cosign/cli/verify/verify.go PrintVerificationHeader). */
function checkList(input: string, annotations: boolean): string {
  return `\nVerification for ${input} --\nThe following checks were performed on each of these signatures:\n${annotations ? '  - The specified annotations were verified.\n' : ''}  - The cosign claims were validated\n  - The signatures were verified against the specified public key\n`;
}

export async function cosignVerify(ctx: Context, images: string[], opts: CosignVerifyOptions): Promise<void> {
  requireIgnoreTlog(opts.insecureIgnoreTlog);
  const output = opts.output ?? 'json';
  if (output !== 'json' && output !== 'text') throw new VouchError('INVALID_ARGUMENT', `--output ${output}: expected json or text`);
  const refs = images.map((i) => ({ input: i, ref: parseReference(i) }));
  const key = parseCosignPublicKey(await readKeyFile(resolve(ctx.cwd, opts.key), 'public key'));
  const annotations = parseAnnotations(opts.annotations);
  ctx.io.err('WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature.\n');
  let failed = false;
  await withSession(ctx, {}, async (s) => {
    for (const { input, ref } of refs) {
      const r = await verifyCosign(s, ref, key, { formats: readFormats(opts.newBundleFormat), ...(annotations ? { annotations } : {}) });
      if (r.verified.length === 0) {
        failed = true;
        ctx.io.err(`Error: no matching signatures: ${input}: ${whyNot(r.outcomes, `no signatures found (${r.signatureTag} or a Sigstore bundle referring to ${r.digest})`)}\n`);
        continue;
      }
      ctx.io.err(checkList(input, annotations !== undefined));
      if (output === 'text') for (const p of r.verified) ctx.io.out(`${p.toString('utf8')}\n`);
      else ctx.io.out(`${JSON.stringify(r.verified.map((p) => JSON.parse(p.toString('utf8')) as unknown))}\n`);
    }
  });
  if (failed) throw new ExitStatus(EXIT.FAILED);
}

export interface CosignVerifyAttestationOptions { key: string; type: string; annotations?: string[]; insecureIgnoreTlog?: boolean; newBundleFormat?: boolean }

export async function cosignVerifyAttestation(ctx: Context, images: string[], opts: CosignVerifyAttestationOptions): Promise<void> {
  requireIgnoreTlog(opts.insecureIgnoreTlog);
  const refs = images.map((i) => ({ input: i, ref: parseReference(i) }));
  const key = parseCosignPublicKey(await readKeyFile(resolve(ctx.cwd, opts.key), 'public key'));
  const annotations = parseAnnotations(opts.annotations);
  ctx.io.err('WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the attestation.\n');
  let failed = false;
  await withSession(ctx, {}, async (s) => {
    for (const { input, ref } of refs) {
      const r = await verifyCosignAttestations(s, ref, key, { type: opts.type, formats: readFormats(opts.newBundleFormat), ...(annotations ? { annotations } : {}) });
      if (r.verified.length === 0) {
        failed = true;
        const why = r.otherPredicateTypes.length > 0
          ? `none of the attestations matched the predicate type: ${opts.type}, found: ${r.otherPredicateTypes.join(',')}`
          : `no matching attestations: ${whyNot(r.outcomes, `none found (${r.signatureTag} or a Sigstore bundle referring to ${r.digest})`)}`;
        ctx.io.err(`Error: ${input}: ${why}\n`);
        continue;
      }
      ctx.io.err(checkList(input, annotations !== undefined));
      // cosign prints attestations as they are ("text" mode), one envelope per line
      for (const p of r.verified) ctx.io.out(`${p.toString('utf8').trimEnd()}\n`);
    }
  });
  if (failed) throw new ExitStatus(EXIT.FAILED);
}
