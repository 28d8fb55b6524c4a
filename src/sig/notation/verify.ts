// The Notation verifier as a pure function of (the resolved subject descriptor, the signature
// envelope, the trust policy statement that applies, the trust stores' certificates, the time):
// a verdict with one result per check, as notation-go verifier/verifier.go runs them (integrity,
// authenticity with trusted identities, expiry, authentic timestamp, revocation, then the target
// descriptor and user metadata), each enforced, logged or skipped as the policy's level says.
import * as asn1js from 'asn1js';
import { VouchError, isVouchError, parseCertificateBundle } from '../../core/index.js';
import { hashOfAlgorithm, isIssuedBy, parseCertificates, thumbprint, validateTimestampingChain, type Certificate, type HashName } from './certs.js';
import { HEADER_VERIFICATION_PLUGIN, HEADER_VERIFICATION_PLUGIN_MIN_VERSION, SIGNING_SCHEME_X509 } from './constants.js';
import { certificateSubjectDn, isSubsetDn } from './dn.js';
import type { NotationEnvelope } from './envelope.js';
import { verifyEnvelope } from './format.js';
import { formatRfc3339, type TargetArtifact } from './jws.js';
import {
  CAPABILITY_REVOCATION_CHECK, CAPABILITY_TRUSTED_IDENTITY, PLUGIN_CONTRACT_VERSION, compareSemver, isSemver, parseVerifySignature,
  type PluginMetadata, type VerifyCapability, type VerifySignatureRequest,
} from './plugin.js';
import { CHECKS, type CheckAction, type CheckName, type ResolvedPolicy, type TrustStoreType } from './policy.js';
import type { OcspQuery } from './ocsp.js';
import { checkChainRevocation, type ChainRevocationResult, type CrlFetcher, type RevocationSources } from './revocation.js';
import { verifyTimestampToken } from './timestamp.js';

export type CheckStatus = 'passed' | 'failed' | 'inconclusive' | 'skipped';
/**
 * The policy's checks, plus the two notation applies to every signature that passes them, and
 * the verification plugin a signature names (always enforced, as notation fails on any plugin error).
 */
export type VerdictCheck = CheckName | 'targetArtifact' | 'userMetadata' | 'verificationPlugin';

export interface CheckResult {
  check: VerdictCheck;
  status: CheckStatus;
  /** what the policy does with a failure: enforce (deny), log (warn), skip */
  action: CheckAction;
  message?: string;
}

export interface NotationVerdict {
  verified: boolean;
  policy: string;
  level: ResolvedPolicy['level'];
  checks: CheckResult[];
  /** the first enforced check that failed (or could not be decided) */
  failure?: CheckResult;
  signer?: { subject: string; thumbprints: string[]; signingScheme: string };
  signingTime?: Date;
  expiry?: Date;
  userMetadata?: Record<string, string>;
}

/** Certificates of the named trust stores, read by the caller: `type:name` → DER certificates or why there are none. */
export type TrustStoreContents = Readonly<Record<string, readonly Uint8Array[] | { error: string }>>;

/**
 * A blob to verify a detached signature against: its size and its digest under each hash a
 * signature may have used (notation-go verifier.VerifyBlob digests the blob with the hash of the
 * signature's algorithm), and the media type only if the user named one (`--media-type`).
 */
export interface BlobSubject {
  blob: true;
  size: number;
  digests: Readonly<Record<HashName, string>>;
  mediaType?: string;
}

export interface NotationVerifyOptions {
  /** the artifact as the registry or layout resolved it (mediaType, digest, size), or a blob */
  subject: TargetArtifact | BlobSubject;
  envelope: Uint8Array;
  envelopeMediaType: string;
  policy: ResolvedPolicy;
  trustStores: TrustStoreContents;
  /** `-m key=value`: every pair must be in the signed annotations */
  userMetadata?: Record<string, string>;
  now: Date;
  /** runs the verification plugins signatures name (I/O, the caller's); without it such signatures are inconclusive */
  plugins?: VerificationPluginHost;
  /** `--plugin-config key=value`, passed to the verification plugin */
  pluginConfig?: Record<string, string>;
  /**
   * Where CRLs come from (the network through a cache, or the cache only): the revocation check
   * of the signing chain and of a timestamp's TSA chain. Without it, a certificate that names a
   * CRL has an unknown status.
   */
  fetchCrl?: CrlFetcher;
  /** sends OCSP requests (the same checks, for certificates that name a responder) */
  queryOcsp?: OcspQuery;
}

/** Verification plugins as the caller runs them: metadata, and the raw verify-signature answer. */
export interface VerificationPluginHost {
  metadata(name: string, pluginConfig: Record<string, string>): Promise<PluginMetadata>;
  verifySignature(name: string, request: VerifySignatureRequest): Promise<Uint8Array>;
}

/** Certificates of a trust store file: PEM (one or more) or DER (one or more, back to back), as notation-core-go ReadCertificateFile. */
export function parseCertificateFile(bytes: Uint8Array, what: string): Buffer[] {
  const buf = Buffer.from(bytes);
  if (buf.includes('-----BEGIN')) {
    try { return parseCertificateBundle(buf).map((c) => c.raw); } catch (err) {
      throw new VouchError('INVALID_CERTIFICATE', `${what}: ${(err as Error).message}`);
    }
  }
  const out: Buffer[] = [];
  let rest = buf;
  while (rest.byteLength > 0) {
    if (out.length >= 100) throw new VouchError('INVALID_CERTIFICATE', `${what} holds more than 100 certificates`);
    const parsed = asn1js.fromBER(new Uint8Array(rest.buffer, rest.byteOffset, rest.byteLength));
    if (parsed.offset <= 0) throw new VouchError('INVALID_CERTIFICATE', `${what} is neither PEM nor DER certificates`);
    out.push(rest.subarray(0, parsed.offset));
    rest = rest.subarray(parsed.offset);
  }
  if (out.length === 0) throw new VouchError('INVALID_CERTIFICATE', `${what} holds no certificate`);
  return out;
}

const iso = (d: Date): string => d.toISOString();

class Checks {
  readonly results: CheckResult[] = [];
  constructor(private readonly policy: ResolvedPolicy) {}
  add(check: VerdictCheck, status: Exclude<CheckStatus, 'skipped'>, message?: string): CheckResult {
    const action = check === 'targetArtifact' || check === 'userMetadata' || check === 'verificationPlugin' ? 'enforce' : this.policy.actions[check];
    const r: CheckResult = { check, status, action, ...(message !== undefined ? { message } : {}) };
    this.results.push(r);
    return r;
  }
  /** A failure the policy enforces: verification stops there. */
  critical(r: CheckResult): boolean {
    return r.action === 'enforce' && r.status !== 'passed';
  }
}

async function trustedCertificates(opts: NotationVerifyOptions, type: TrustStoreType): Promise<Certificate[]> {
  const out: Certificate[] = [];
  for (const store of opts.policy.trustStores.filter((s) => s.type === type)) {
    const key = `${store.type}:${store.name}`;
    const got = opts.trustStores[key];
    if (got === undefined) throw new VouchError('FILE_NOT_FOUND', `the trust store "${store.name}" of type "${store.type}" was not read`);
    if (!Array.isArray(got)) throw new VouchError('FILE_NOT_FOUND', (got as { error: string }).error);
    const certs = await parseCertificates(got as Uint8Array[], `trust store ${key}`).catch((err: unknown) => {
      throw new VouchError('INVALID_CERTIFICATE', `failed to read the trusted certificates in trust store ${store.name} of type ${store.type}: ${(err as Error).message}`);
    });
    // notation-go truststore.ValidateCertificates: a non-CA certificate must be self-signed.
    for (const c of certs) {
      const bc = c.basicConstraints;
      let selfSigned = false;
      try { selfSigned = c.node.verify(c.node.publicKey); } catch { selfSigned = false; }
      if (!bc?.ca && !selfSigned) throw new VouchError('INVALID_CERTIFICATE', `certificate with subject "${c.subject}" in trust store ${store.name} of type ${store.type} is not a CA certificate or self-signed signing certificate`);
      // notation-go truststore isRootCACertificate: a tsa store holds root CAs only
      if (type === 'tsa' && !isIssuedBy(c, c)) throw new VouchError('INVALID_CERTIFICATE', `trusted certificate in trust store ${store.name} of type ${store.type} is invalid: certificate with subject "${c.subject}" is not a root CA certificate`);
    }
    out.push(...certs);
  }
  return out;
}

/** Why the signed descriptor is not the artifact's (notation: content.Equal on mediaType, digest, size), or undefined. */
function descriptorMismatch(t: TargetArtifact, s: TargetArtifact): string | undefined {
  if (t.digest === s.digest && t.size === s.size && t.mediaType === s.mediaType) return undefined;
  return `content descriptor mismatch: the signature is for ${t.mediaType} ${t.digest} (${t.size} bytes), not ${s.mediaType} ${s.digest} (${s.size} bytes)`;
}

/** A certificate of a signature's chain, as `vouch status` reports it. */
export interface ChainCertificate {
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** lowercase hex SHA-256 of the DER */
  thumbprint: string;
}

/** What a signature says about itself, and whether it holds together without any trust policy. */
export interface SignatureFacts {
  /** the leaf's subject; absent when the envelope does not parse */
  signer?: string;
  /** leaf first, as the envelope carries it */
  chain: ChainCertificate[];
  signingScheme?: string;
  signingTime?: Date;
  /** io.cncf.notary.expiry */
  expiry?: Date;
  /** why it does not verify structurally; absent when it does */
  problem?: string;
}

/**
 * The structural checks of a signature, with no trust store: the envelope's integrity (the JWS
 * verifies with the leaf's key, the chain follows notation's certificate rules, the headers are
 * Notary's) and that it signs `subject`. Whose signature to trust is `vouch notation verify`'s
 * question; this says what the signature is and when it stops verifying.
 */
export async function inspectNotationSignature(opts: { subject: TargetArtifact; envelope: Uint8Array; envelopeMediaType: string }): Promise<SignatureFacts> {
  let env: NotationEnvelope;
  try {
    env = await verifyEnvelope(opts.envelopeMediaType, opts.envelope);
  } catch (err) {
    if (!isVouchError(err)) throw err;
    return { chain: [], problem: `${err.code}: ${err.message}` };
  }
  const facts: SignatureFacts = {
    signer: (env.chain[0] as Certificate).subject,
    chain: env.chain.map((c) => ({ subject: c.subject, issuer: c.issuer, notBefore: c.notBefore, notAfter: c.notAfter, thumbprint: thumbprint(c) })),
    signingScheme: env.header.signingScheme,
    signingTime: env.header.signingTime,
    ...(env.header.expiry ? { expiry: env.header.expiry } : {}),
  };
  const mismatch = descriptorMismatch(env.target, opts.subject);
  if (mismatch !== undefined) facts.problem = `INVALID_SIGNATURE: ${mismatch}`;
  return facts;
}

/** Verifies one Notation signature envelope against the policy statement that applies to the artifact. */
export async function verifyNotationSignature(opts: NotationVerifyOptions): Promise<NotationVerdict> {
  const policy = opts.policy;
  const verdict = (checks: Checks, env?: NotationEnvelope): NotationVerdict => {
    const failure = checks.results.find((r) => checks.critical(r));
    const ran = new Set(checks.results.map((r) => r.check));
    const all: CheckResult[] = [...checks.results];
    for (const c of [...CHECKS, 'targetArtifact'] as VerdictCheck[]) {
      if (!ran.has(c)) all.push({ check: c, status: 'skipped', action: c === 'targetArtifact' ? 'enforce' : policy.actions[c as CheckName] });
    }
    const out: NotationVerdict = { verified: failure === undefined, policy: policy.name, level: policy.level, checks: all, ...(failure ? { failure } : {}) };
    if (env) {
      out.signer = { subject: (env.chain[0] as Certificate).subject, thumbprints: env.chain.map(thumbprint), signingScheme: env.header.signingScheme };
      out.signingTime = env.header.signingTime;
      if (env.header.expiry) out.expiry = env.header.expiry;
      if (env.target.annotations) out.userMetadata = env.target.annotations;
    }
    return out;
  };
  const checks = new Checks(policy);
  if (policy.level === 'skip') {
    return { verified: true, policy: policy.name, level: 'skip', checks: CHECKS.map((c) => ({ check: c, status: 'skipped', action: 'skip', message: 'the trust policy skips signature verification' })) };
  }

  // integrity
  let env: NotationEnvelope;
  try {
    env = await verifyEnvelope(opts.envelopeMediaType, opts.envelope);
  } catch (err) {
    if (!isVouchError(err)) throw err;
    checks.add('integrity', 'failed', err.message);
    return verdict(checks);
  }
  const critical = env.header.crit.filter((c) => c in env.header.extended);
  if (critical.length > 0 && !(HEADER_VERIFICATION_PLUGIN in env.header.extended)) {
    checks.add('integrity', 'inconclusive', `the signature has critical attributes vouch does not understand: ${critical.join(', ')}`);
    return verdict(checks, env);
  }
  checks.add('integrity', 'passed');
  let plugin: VerificationPluginUse | undefined;
  try {
    plugin = await verificationPlugin(env, opts);
  } catch (err) {
    if (!isVouchError(err)) throw err;
    checks.add('verificationPlugin', 'inconclusive', err.message);
    return verdict(checks, env);
  }
  const pluginDoes = (c: VerifyCapability): boolean => plugin?.capabilities.includes(c) ?? false;

  // authenticity: a certificate of the chain is in the trust stores, and the leaf is a trusted identity
  const storeType: TrustStoreType = env.header.signingScheme === SIGNING_SCHEME_X509 ? 'ca' : 'signingAuthority';
  let authenticity: CheckResult;
  try {
    const trusted = await trustedCertificates(opts, storeType);
    if (trusted.length === 0) {
      authenticity = checks.add('authenticity', 'inconclusive', 'no trusted certificates are found to verify authenticity');
    } else if (!env.chain.some((c) => trusted.some((t) => t.der.equals(c.der)))) {
      authenticity = checks.add('authenticity', 'failed', "the signature's certificate chain does not contain any trusted certificate");
    } else {
      authenticity = checks.add('authenticity', 'passed');
    }
  } catch (err) {
    if (!isVouchError(err)) throw err;
    authenticity = checks.add('authenticity', 'failed', err.message);
  }
  if (checks.critical(authenticity)) return verdict(checks, env);
  if (policy.trustedIdentities !== undefined && !pluginDoes(CAPABILITY_TRUSTED_IDENTITY)) {
    let message: string | undefined;
    if (policy.trustedIdentities.length === 0) message = `no x509 trusted identities are configured in the trust policy "${policy.name}"`;
    else {
      try {
        const leafDn = certificateSubjectDn(env.chain[0] as Certificate);
        if (!policy.trustedIdentities.some((ti) => isSubsetDn(ti, leafDn))) {
          message = `signing certificate from the digital signature does not match the X.509 trusted identities defined in the trust policy "${policy.name}"`;
        }
      } catch (err) {
        if (!isVouchError(err)) throw err;
        message = err.message;
      }
    }
    if (message !== undefined) {
      authenticity.status = 'failed';
      authenticity.message = message;
      if (checks.critical(authenticity)) return verdict(checks, env);
    }
  }

  // expiry
  const expiry = env.header.expiry;
  const expired = expiry !== undefined && opts.now.getTime() >= expiry.getTime();
  if (checks.critical(checks.add('expiry', expired ? 'failed' : 'passed', expired ? `digital signature has expired on "${iso(expiry)}"` : undefined))) return verdict(checks, env);

  // authentic timestamp
  const ts = await authenticTimestamp(env, opts);
  if (checks.critical(checks.add('authenticTimestamp', ts.status, ts.message))) return verdict(checks, env);

  // revocation (notation-go verifyRevocation): revoked fails, unknown is inconclusive
  if (policy.actions.revocation !== 'skip' && !pluginDoes(CAPABILITY_REVOCATION_CHECK)) {
    const authentic = env.header.signingScheme === SIGNING_SCHEME_X509 ? undefined : env.header.signingTime;
    const rr = await checkChainRevocation(env.chain, revocationSources(opts), opts.now, authentic);
    const r = rr.status === 'ok'
      ? checks.add('revocation', 'passed')
      : checks.add('revocation', rr.status === 'revoked' ? 'failed' : 'inconclusive', revocationMessage('signing', rr));
    if (checks.critical(r)) return verdict(checks, env);
  }

  if (plugin !== undefined && (await runVerificationPlugin(plugin, env, opts, checks, authenticity))) return verdict(checks, env);

  // the signed descriptor must be the artifact's (notation: content.Equal on mediaType, digest, size)
  const t = env.target;
  const s = opts.subject;
  if ('blob' in s) {
    // verifier.go VerifyBlob: the media type is compared only when given
    const digest = s.digests[hashOfAlgorithm(env.header.alg)];
    if (t.digest !== digest || t.size !== s.size || (s.mediaType !== undefined && t.mediaType !== s.mediaType)) {
      checks.add('targetArtifact', 'failed', `integrity check failed. signature does not match the given blob: the signature is for ${t.mediaType} ${t.digest} (${t.size} bytes), not ${s.mediaType ?? 'the blob'} ${digest} (${s.size} bytes)`);
      return verdict(checks, env);
    }
  } else {
    const mismatch = descriptorMismatch(t, s);
    if (mismatch !== undefined) {
      checks.add('targetArtifact', 'failed', mismatch);
      return verdict(checks, env);
    }
  }
  checks.add('targetArtifact', 'passed');
  const wanted = Object.entries(opts.userMetadata ?? {});
  if (wanted.length > 0) {
    const missing = wanted.filter(([k, v]) => t.annotations?.[k] !== v).map(([k, v]) => `${k}=${v}`);
    checks.add('userMetadata', missing.length > 0 ? 'failed' : 'passed', missing.length > 0 ? `unable to find specified metadata in the signature: ${missing.join(', ')}` : undefined);
  }
  return verdict(checks, env);
}

const revocationSources = (opts: NotationVerifyOptions): RevocationSources => ({
  ...(opts.fetchCrl ? { fetchCrl: opts.fetchCrl } : {}), ...(opts.queryOcsp ? { queryOcsp: opts.queryOcsp } : {}),
});

/** notation-go verifyRevocation / verifyTimestamp's messages for a revoked or unknown chain. */
function revocationMessage(what: 'signing' | 'timestamping', rr: ChainRevocationResult): string {
  const head = `${what} certificate with subject "${rr.subject ?? ''}" ${rr.status === 'revoked' ? 'is revoked' : 'revocation status is unknown'}`;
  return rr.detail ? `${head} (${rr.detail})` : head;
}

type TimestampOutcome = { status: 'passed' | 'failed' | 'inconclusive'; message?: string };

/**
 * notation-go verifyAuthenticTimestamp. notary.x509: with a `tsa` trust store in the policy (and,
 * under `verifyTimestamp: afterCertExpiry`, a chain that has expired), the envelope's RFC 3161
 * token must verify over the signature value, chain to the tsa store at its time with a
 * timestamping chain, fall within every signing certificate's validity, and its TSA chain must not
 * be revoked; otherwise every certificate must be valid now. Signing authority: every certificate
 * valid at the authentic signing time.
 */
async function authenticTimestamp(env: NotationEnvelope, opts: NotationVerifyOptions): Promise<TimestampOutcome> {
  const { policy, now } = opts;
  if (env.header.signingScheme !== SIGNING_SCHEME_X509) {
    const at = env.header.signingTime;
    const bad = env.chain.find((c) => at < c.notBefore || at > c.notAfter);
    return bad ? { status: 'failed', message: `certificate "${bad.subject}" was not valid when the digital signature was produced at "${iso(at)}"` } : { status: 'passed' };
  }
  const tsa = policy.trustStores.some((s) => s.type === 'tsa');
  const expired = env.chain.some((c) => now > c.notAfter);
  if (!tsa || (policy.verifyTimestamp === 'afterCertExpiry' && !expired)) {
    for (const c of env.chain) {
      if (now < c.notBefore) return { status: 'failed', message: `verification time is before certificate "${c.subject}" validity period, it will be valid from "${iso(c.notBefore)}"` };
      if (now > c.notAfter) return { status: 'failed', message: `verification time is after certificate "${c.subject}" validity period, it was expired at "${iso(c.notAfter)}"` };
    }
    return { status: 'passed' };
  }
  return verifyEnvelopeTimestamp(env.timestampToken, env.signature, env.chain, opts);
}

/**
 * The timestamp half of verifyAuthenticTimestamp, envelope-agnostic: `token` (the envelope's
 * unsigned timestamp attribute) over `signature` (the signature value it countersigns).
 */
export async function verifyEnvelopeTimestamp(token: Uint8Array | undefined, signature: Uint8Array, chain: readonly Certificate[], opts: NotationVerifyOptions): Promise<TimestampOutcome> {
  if (!token || token.byteLength === 0) return { status: 'failed', message: 'no timestamp countersignature was found in the signature envelope' };
  let trusted: Certificate[];
  try { trusted = await trustedCertificates(opts, 'tsa'); } catch (err) {
    if (!isVouchError(err)) throw err;
    return { status: 'failed', message: `failed to load tsa trust store with error: ${err.message}` };
  }
  if (trusted.length === 0) return { status: 'failed', message: 'no trusted TSA certificate found in trust store' };
  let ts;
  try { ts = await verifyTimestampToken(token, signature, trusted); } catch (err) {
    if (!isVouchError(err)) throw err;
    return { status: 'failed', message: err.message };
  }
  try { validateTimestampingChain(ts.tsaChain); } catch (err) {
    if (!isVouchError(err)) throw err;
    return { status: 'failed', message: `failed to validate the timestamping certificate chain with error: ${err.message}` };
  }
  const low = new Date(ts.time.getTime() - ts.accuracyMs);
  const high = new Date(ts.time.getTime() + ts.accuracyMs);
  const range = `[${iso(low)}, ${iso(high)}]`;
  for (const c of chain) {
    if (low < c.notBefore) return { status: 'failed', message: `timestamp ${range} can be before certificate "${c.subject}" validity period, it will be valid from "${iso(c.notBefore)}"` };
    if (high > c.notAfter) return { status: 'failed', message: `timestamp ${range} can be after certificate "${c.subject}" validity period, it was expired at "${iso(c.notAfter)}"` };
  }
  const rr = await checkChainRevocation(ts.tsaChain, revocationSources(opts), opts.now);
  if (rr.status !== 'ok') return { status: 'failed', message: revocationMessage('timestamping', rr) };
  return { status: 'passed' };
}

interface VerificationPluginUse {
  name: string;
  host: VerificationPluginHost;
  /** its verification capabilities (trusted identity, revocation) */
  capabilities: VerifyCapability[];
  minVersion?: string;
  /** critical extended attributes other than the plugin's own: the plugin must process them all */
  unprocessed: string[];
}

/** A critical string attribute of the protected header, or undefined when absent (notation-go verifier/helpers.go). */
function criticalString(env: NotationEnvelope, key: string): string | undefined {
  if (!(key in env.header.extended)) return undefined;
  if (!env.header.crit.includes(key)) throw new VouchError('INVALID_SIGNATURE', `${key} is not a critical Extended attribute`);
  const v = env.header.extended[key];
  if (typeof v !== 'string' || v.trim() === '') throw new VouchError('INVALID_SIGNATURE', `${key} from extended attribute is an empty string`);
  return v;
}

/**
 * The verification plugin the signature names (critical `io.cncf.notary.verificationPlugin`), found
 * and checked as notation-go's processSignature does: a SemVer version at least
 * `io.cncf.notary.verificationPluginMinVersion`, with a verification capability.
 */
async function verificationPlugin(env: NotationEnvelope, opts: NotationVerifyOptions): Promise<VerificationPluginUse | undefined> {
  const name = criticalString(env, HEADER_VERIFICATION_PLUGIN);
  if (name === undefined) return undefined;
  const minVersion = criticalString(env, HEADER_VERIFICATION_PLUGIN_MIN_VERSION);
  if (minVersion !== undefined && !isSemver(minVersion)) throw new VouchError('INVALID_SIGNATURE', `error while getting plugin minimum version, error: ${HEADER_VERIFICATION_PLUGIN_MIN_VERSION} from extended attribute is not a valid SemVer`);
  if (!opts.plugins) throw new VouchError('PLUGIN', `the signature requires the verification plugin "${name}", and no plugin directory was given`);
  let md: PluginMetadata;
  try { md = await opts.plugins.metadata(name, opts.pluginConfig ?? {}); } catch (err) {
    if (!isVouchError(err)) throw err;
    throw new VouchError('PLUGIN', `error while locating the verification plugin "${name}", make sure the plugin is installed successfully before verifying the signature. error: ${err.message}`);
  }
  if (!isSemver(md.version)) throw new VouchError('PLUGIN', `plugin ${name} has pluginVersion ${md.version} which is not in valid semver format`);
  if (minVersion !== undefined && compareSemver(md.version, minVersion) < 0) {
    throw new VouchError('PLUGIN', `found plugin ${name} with version ${md.version} but signature verification needs plugin version greater than or equal to ${minVersion}`);
  }
  const capabilities = md.capabilities.filter((c): c is VerifyCapability => c === CAPABILITY_TRUSTED_IDENTITY || c === CAPABILITY_REVOCATION_CHECK);
  if (capabilities.length === 0) {
    throw new VouchError('PLUGIN', `digital signature requires plugin "${name}" with signature verification capabilities ("${CAPABILITY_TRUSTED_IDENTITY}" and/or "${CAPABILITY_REVOCATION_CHECK}") installed`);
  }
  const unprocessed = env.header.crit.filter((c) => c in env.header.extended && c !== HEADER_VERIFICATION_PLUGIN && c !== HEADER_VERIFICATION_PLUGIN_MIN_VERSION);
  for (const k of unprocessed) {
    const v = env.header.extended[k];
    if (v !== null && typeof v !== 'string' && typeof v !== 'number') throw new VouchError('INVALID_SIGNATURE', `critical extended attribute "${k}" is not a JSON string, number or null, the only values passed to a verification plugin`);
  }
  return { name, host: opts.plugins, capabilities, ...(minVersion !== undefined ? { minVersion } : {}), unprocessed };
}

/**
 * verify-signature for the capabilities the policy does not skip; its results become the
 * authenticity (trusted identity) and revocation results. True when verification stops here.
 */
async function runVerificationPlugin(use: VerificationPluginUse, env: NotationEnvelope, opts: NotationVerifyOptions, checks: Checks, authenticity: CheckResult): Promise<boolean> {
  const asked = use.capabilities.filter((c) => !(c === CAPABILITY_REVOCATION_CHECK && opts.policy.actions.revocation === 'skip'));
  if (asked.length === 0) return false;
  const h = env.header;
  const request: VerifySignatureRequest = {
    contractVersion: PLUGIN_CONTRACT_VERSION,
    signature: {
      criticalAttributes: {
        contentType: h.cty,
        signingScheme: h.signingScheme,
        ...(h.expiry ? { expiry: formatRfc3339(h.expiry) } : {}),
        ...(h.signingScheme !== SIGNING_SCHEME_X509 ? { authenticSigningTime: formatRfc3339(h.signingTime) } : {}),
        verificationPlugin: use.name,
        ...(use.minVersion !== undefined ? { verificationPluginMinVersion: use.minVersion } : {}),
        extendedAttributes: Object.fromEntries(use.unprocessed.map((k) => [k, h.extended[k]])),
      },
      unprocessedAttributes: use.unprocessed,
      certificateChain: env.chain.map((c) => c.der.toString('base64')),
    },
    trustPolicy: { trustedIdentities: opts.policy.trustedIdentityStrings ?? [], signatureVerification: asked },
    ...(opts.pluginConfig && Object.keys(opts.pluginConfig).length > 0 ? { pluginConfig: opts.pluginConfig } : {}),
  };
  let results;
  try {
    results = parseVerifySignature(use.name, asked, use.unprocessed, await use.host.verifySignature(use.name, request));
  } catch (err) {
    if (!isVouchError(err)) throw err;
    checks.add('verificationPlugin', 'failed', `failed to verify with plugin ${use.name}: ${err.message}`);
    return true;
  }
  checks.add('verificationPlugin', 'passed');
  const identity = results.get(CAPABILITY_TRUSTED_IDENTITY);
  if (identity && !identity.success) {
    authenticity.status = 'failed';
    authenticity.message = `trusted identify verification by plugin "${use.name}" failed with reason "${identity.reason ?? ''}"`;
    if (checks.critical(authenticity)) return true;
  }
  const revocation = results.get(CAPABILITY_REVOCATION_CHECK);
  if (revocation) {
    const r = revocation.success
      ? checks.add('revocation', 'passed', `checked by the verification plugin "${use.name}"`)
      : checks.add('revocation', 'failed', `revocation check by verification plugin "${use.name}" failed with reason "${revocation.reason ?? ''}"`);
    if (checks.critical(r)) return true;
  }
  return false;
}
