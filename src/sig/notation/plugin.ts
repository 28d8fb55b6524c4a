// The Notary Project plugin protocol, contract version 1.0 (notaryproject/specifications
// specs/plugin-extensibility.md; notation-plugin-framework-go plugin/*.go): the requests vouch sends
// and every answer a plugin gives, validated field by field before use. A plugin is an executable
// vouch does not control: its answers are as hostile as a registry's bytes. Running it is the
// caller's (keys/notation-plugin.ts); this module only builds and reads the JSON.
import { VouchError, isBase64, isJsonObject, parseJson, type JsonObject } from '../../core/index.js';
import type { JwsAlgorithm, KeySpec } from './certs.js';

export const PLUGIN_CONTRACT_VERSION = '1.0';
/** notation-go plugin/plugin.go maxPluginOutputSize: each of stdout and stderr. */
export const MAX_PLUGIN_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Executables are `notation-<name>` in `<config dir>/plugins/<name>/` (plugin-framework BinaryPrefix). */
export const PLUGIN_BINARY_PREFIX = 'notation-';

export const CAPABILITY_SIGNATURE_GENERATOR = 'SIGNATURE_GENERATOR.RAW';
export const CAPABILITY_ENVELOPE_GENERATOR = 'SIGNATURE_GENERATOR.ENVELOPE';
export const CAPABILITY_TRUSTED_IDENTITY = 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY';
export const CAPABILITY_REVOCATION_CHECK = 'SIGNATURE_VERIFIER.REVOCATION_CHECK';
export type VerifyCapability = typeof CAPABILITY_TRUSTED_IDENTITY | typeof CAPABILITY_REVOCATION_CHECK;

export type PluginCommand = 'get-plugin-metadata' | 'describe-key' | 'generate-signature' | 'generate-envelope' | 'verify-signature';

export interface PluginMetadata {
  name: string;
  description: string;
  version: string;
  url: string;
  supportedContractVersions: string[];
  capabilities: string[];
}

const KEY_SPECS: Record<string, KeySpec> = {
  'RSA-2048': { type: 'rsa', size: 2048, alg: 'PS256', hash: 'sha256' },
  'RSA-3072': { type: 'rsa', size: 3072, alg: 'PS384', hash: 'sha384' },
  'RSA-4096': { type: 'rsa', size: 4096, alg: 'PS512', hash: 'sha512' },
  'EC-256': { type: 'ec', size: 256, alg: 'ES256', hash: 'sha256' },
  'EC-384': { type: 'ec', size: 384, alg: 'ES384', hash: 'sha384' },
  'EC-521': { type: 'ec', size: 521, alg: 'ES512', hash: 'sha512' },
};
/** The protocol's names of the signing algorithms (plugin-extensibility.md, generate-signature). */
const SIGNING_ALGORITHMS: Record<JwsAlgorithm, string> = {
  PS256: 'RSASSA-PSS-SHA-256', PS384: 'RSASSA-PSS-SHA-384', PS512: 'RSASSA-PSS-SHA-512',
  ES256: 'ECDSA-SHA-256', ES384: 'ECDSA-SHA-384', ES512: 'ECDSA-SHA-512',
};
const HASH_NAMES = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;

const malformed = (plugin: string, command: PluginCommand, what: string): VouchError =>
  new VouchError('PLUGIN', `plugin ${plugin} answered ${command} with ${what}`, { hint: 'the plugin does not follow the Notary Project plugin contract 1.0; update or reinstall it' });

/** A signing plugin's answer vouch will not use: nothing is signed or written with it. */
export function pluginRefused(plugin: string, what: string, err?: unknown): VouchError {
  return new VouchError('PLUGIN', `plugin ${plugin}: ${what}${err ? `: ${(err as Error).message}` : ''}`, {
    hint: 'the signature was not written; the plugin or its key is not usable for Notation signatures', ...(err ? { cause: err } : {}),
  });
}

/** The answer on stdout as a JSON object (a plugin must print that and nothing else). */
function answer(plugin: string, command: PluginCommand, stdout: Uint8Array): JsonObject {
  let v;
  try { v = parseJson(stdout, { what: `the ${command} answer`, maxBytes: MAX_PLUGIN_OUTPUT_BYTES }); } catch (err) {
    throw malformed(plugin, command, `output that is not JSON (${(err as Error).message})`);
  }
  if (!isJsonObject(v)) throw malformed(plugin, command, 'JSON that is not an object');
  return v;
}

function str(plugin: string, command: PluginCommand, v: JsonObject, field: string, required = true): string {
  const x = v[field];
  if (typeof x !== 'string' || (required && x.trim() === '')) throw malformed(plugin, command, `no valid "${field}" (a non-empty string)`);
  return x;
}

function stdBase64(plugin: string, command: PluginCommand, x: unknown, field: string): Buffer {
  if (typeof x !== 'string' || x === '' || !isBase64(x)) throw malformed(plugin, command, `"${field}" that is not standard base64`);
  return Buffer.from(x, 'base64');
}

function stringMap(plugin: string, command: PluginCommand, x: unknown, field: string): Record<string, string> {
  if (x === undefined || x === null) return {};
  if (!isJsonObject(x) || Object.values(x).some((s) => typeof s !== 'string')) throw malformed(plugin, command, `"${field}" that is not a map of strings`);
  return { ...(x as Record<string, string>) };
}

/** get-plugin-metadata: every field present (notation-go plugin.validate), the name the directory's, contract 1.0 supported. */
export function parsePluginMetadata(plugin: string, stdout: Uint8Array): PluginMetadata {
  const cmd = 'get-plugin-metadata';
  const v = answer(plugin, cmd, stdout);
  const list = (field: string): string[] => {
    const x = v[field];
    if (!Array.isArray(x) || x.length === 0 || x.some((e) => typeof e !== 'string')) throw malformed(plugin, cmd, `no valid "${field}" (a non-empty list of strings)`);
    return x as string[];
  };
  const md: PluginMetadata = {
    name: str(plugin, cmd, v, 'name'), description: str(plugin, cmd, v, 'description'), version: str(plugin, cmd, v, 'version'),
    url: str(plugin, cmd, v, 'url'), supportedContractVersions: list('supportedContractVersions'), capabilities: list('capabilities'),
  };
  if (md.name !== plugin) throw new VouchError('PLUGIN', `plugin executable file name must be "${PLUGIN_BINARY_PREFIX}${md.name}" instead of "${PLUGIN_BINARY_PREFIX}${plugin}"`, { hint: 'the plugin calls itself by another name than its directory and executable' });
  if (!md.supportedContractVersions.includes(PLUGIN_CONTRACT_VERSION)) {
    throw new VouchError('PLUGIN', `contract version "${PLUGIN_CONTRACT_VERSION}" is not in the list of the plugin supported versions [${md.supportedContractVersions.join(' ')}]`, { hint: `plugin ${plugin} speaks another version of the plugin contract` });
  }
  return md;
}

/** The protocol's error answer on stderr (exit code 1), if it is one. */
export function parsePluginError(stderr: Uint8Array): { code: string; message: string } | undefined {
  let v;
  try { v = parseJson(stderr, { maxBytes: MAX_PLUGIN_OUTPUT_BYTES }); } catch { return undefined; }
  if (!isJsonObject(v) || typeof v.errorCode !== 'string') return undefined;
  const message = typeof v.errorMessage === 'string' ? v.errorMessage : '';
  // What the plugin says is shown to a user: no control characters from it reach the terminal.
  const clean = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 1000);
  return { code: clean(v.errorCode), message: clean(message) };
}

export function keySpecName(spec: KeySpec): string {
  return `${spec.type === 'rsa' ? 'RSA' : 'EC'}-${spec.size}`;
}

export function hashAlgorithmName(spec: KeySpec): string {
  return HASH_NAMES[spec.hash];
}

export function signingAlgorithmName(alg: JwsAlgorithm): string {
  return SIGNING_ALGORITHMS[alg];
}

/** describe-key: the same key id, and one of the six key specs. */
export function parseDescribeKey(plugin: string, keyId: string, stdout: Uint8Array): KeySpec {
  const cmd = 'describe-key';
  const v = answer(plugin, cmd, stdout);
  const id = str(plugin, cmd, v, 'keyId');
  if (id !== keyId) throw new VouchError('PLUGIN', `keyID in describeKey response "${id}" does not match request "${keyId}"`);
  const name = str(plugin, cmd, v, 'keySpec');
  const spec = KEY_SPECS[name];
  if (!spec) throw malformed(plugin, cmd, `the key spec "${name}", which is not one of ${Object.keys(KEY_SPECS).join(', ')}`);
  return spec;
}

/** generate-signature: the same key id, the algorithm of the described key spec, a signature and a chain (leaf first). */
export function parseGenerateSignature(plugin: string, keyId: string, spec: KeySpec, stdout: Uint8Array): { signature: Buffer; chain: Buffer[] } {
  const cmd = 'generate-signature';
  const v = answer(plugin, cmd, stdout);
  const id = str(plugin, cmd, v, 'keyId');
  if (id !== keyId) throw new VouchError('PLUGIN', `keyID in generateSignature response "${id}" does not match request "${keyId}"`);
  const alg = str(plugin, cmd, v, 'signingAlgorithm');
  if (alg !== SIGNING_ALGORITHMS[spec.alg]) {
    throw new VouchError('PLUGIN', `plugin ${plugin} signed with "${alg}", but key ${keyId} is ${keySpecName(spec)}, which signs with "${SIGNING_ALGORITHMS[spec.alg]}"`);
  }
  const signature = stdBase64(plugin, cmd, v.signature, 'signature');
  const certs = v.certificateChain;
  if (!Array.isArray(certs) || certs.length === 0) throw malformed(plugin, cmd, 'no "certificateChain" (a non-empty list of base64 DER certificates)');
  return { signature, chain: certs.map((c, i) => stdBase64(plugin, cmd, c, `certificateChain[${i}]`)) };
}

/** generate-envelope: an envelope of the type asked for, and the annotations for the signature manifest. */
export function parseGenerateEnvelope(plugin: string, envelopeType: string, maxEnvelopeBytes: number, stdout: Uint8Array): { envelope: Buffer; annotations: Record<string, string> } {
  const cmd = 'generate-envelope';
  const v = answer(plugin, cmd, stdout);
  const type = str(plugin, cmd, v, 'signatureEnvelopeType');
  if (type !== envelopeType) throw new VouchError('PLUGIN', `signatureEnvelopeType in generateEnvelope response "${type}" does not match request "${envelopeType}"`);
  const envelope = stdBase64(plugin, cmd, v.signatureEnvelope, 'signatureEnvelope');
  if (envelope.byteLength > maxEnvelopeBytes) throw new VouchError('TOO_LARGE', `plugin ${plugin} generated a signature envelope of ${envelope.byteLength} bytes, over the limit of ${maxEnvelopeBytes}`);
  return { envelope, annotations: stringMap(plugin, cmd, v.annotations, 'annotations') };
}

export interface VerifySignatureRequest {
  contractVersion: string;
  signature: {
    criticalAttributes: {
      contentType: string;
      signingScheme: string;
      expiry?: string;
      authenticSigningTime?: string;
      verificationPlugin: string;
      verificationPluginMinVersion?: string;
      extendedAttributes: Record<string, unknown>;
    };
    unprocessedAttributes: string[];
    certificateChain: string[];
  };
  trustPolicy: { trustedIdentities: string[]; signatureVerification: VerifyCapability[] };
  pluginConfig?: Record<string, string>;
}

export interface PluginCheckResult { success: boolean; reason?: string }

/**
 * verify-signature: one result for each capability asked for and no other (a failure must carry a
 * reason), and every unprocessed critical attribute processed (plugin-extensibility.md,
 * "Verification workflow using plugin", step 6).
 */
export function parseVerifySignature(plugin: string, asked: readonly VerifyCapability[], unprocessed: readonly string[], stdout: Uint8Array): Map<VerifyCapability, PluginCheckResult> {
  const cmd = 'verify-signature';
  const v = answer(plugin, cmd, stdout);
  const results = v.verificationResults;
  if (!isJsonObject(results)) throw malformed(plugin, cmd, 'no "verificationResults" object');
  const extra = Object.keys(results).filter((k) => !(asked as readonly string[]).includes(k));
  if (extra.length > 0) throw malformed(plugin, cmd, `results for checks it was not asked for: ${extra.join(', ')}`);
  const out = new Map<VerifyCapability, PluginCheckResult>();
  for (const cap of asked) {
    const r = results[cap];
    if (r === undefined) throw new VouchError('PLUGIN', `verification plugin "${plugin}" failed to verify "${cap}"`, { hint: 'the plugin gave no result for a check it was asked to perform' });
    if (!isJsonObject(r) || typeof r.success !== 'boolean' || (r.reason !== undefined && typeof r.reason !== 'string')) throw malformed(plugin, cmd, `a result for ${cap} that is not {"success": boolean, "reason": string}`);
    const reason = typeof r.reason === 'string' ? r.reason.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 1000) : undefined;
    if (!r.success && !reason) throw malformed(plugin, cmd, `a failed ${cap} result without a reason`);
    out.set(cap, { success: r.success, ...(reason ? { reason } : {}) });
  }
  const processed = v.processedAttributes ?? [];
  if (!Array.isArray(processed) || processed.some((p) => typeof p !== 'string')) throw malformed(plugin, cmd, '"processedAttributes" that is not a list of strings');
  const unknown = (processed as string[]).filter((p) => !unprocessed.includes(p));
  if (unknown.length > 0) throw malformed(plugin, cmd, `"processedAttributes" naming attributes it was not given: ${unknown.join(', ')}`);
  for (const attr of unprocessed) {
    if (!(processed as string[]).includes(attr)) {
      throw new VouchError('INVALID_SIGNATURE', `extended critical attribute "${attr}" was not processed by the verification plugin "${plugin}" (all extended critical attributes must be processed by the verification plugin)`);
    }
  }
  return out;
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** A SemVer 2.0.0 version (notation-go internal/semver: an optional leading "v" is allowed). */
export function isSemver(v: string): boolean {
  return SEMVER.test(v);
}

/** SemVer precedence (semver.org §11): negative when a < b. Both must be valid. */
export function compareSemver(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  const pb = SEMVER.exec(b);
  if (!pa || !pb) throw new VouchError('INVALID_ARGUMENT', `not a SemVer version: ${!pa ? a : b}`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const ra = pa[4];
  const rb = pb[4];
  if (ra === undefined || rb === undefined) return ra === rb ? 0 : ra === undefined ? 1 : -1;
  const xa = ra.split('.');
  const xb = rb.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const x = xa[i];
    const y = xb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Math.sign(Number(x) - Number(y));
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
