// The Notation verifier as a pure function of (the resolved subject descriptor, the signature
// envelope, the trust policy statement that applies, the trust stores' certificates, the time):
// a verdict with one result per check, as notation-go verifier/verifier.go runs them (integrity,
// authenticity with trusted identities, expiry, authentic timestamp, revocation, then the target
// descriptor and user metadata), each enforced, logged or skipped as the policy's level says.
import * as asn1js from 'asn1js';
import { VouchError, isVouchError, parseCertificateBundle } from '../../core/index.js';
import { hashOfAlgorithm, parseCertificates, thumbprint, type Certificate, type HashName } from './certs.js';
import { HEADER_VERIFICATION_PLUGIN, SIGNING_SCHEME_X509 } from './constants.js';
import { certificateSubjectDn, isSubsetDn } from './dn.js';
import type { NotationEnvelope } from './envelope.js';
import { verifyEnvelope } from './format.js';
import type { TargetArtifact } from './jws.js';
import { CHECKS, type CheckAction, type CheckName, type ResolvedPolicy, type TrustStoreType } from './policy.js';

export type CheckStatus = 'passed' | 'failed' | 'inconclusive' | 'skipped';
/** The policy's checks, plus the two notation applies to every signature that passes them. */
export type VerdictCheck = CheckName | 'targetArtifact' | 'userMetadata';

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
    const action = check === 'targetArtifact' || check === 'userMetadata' ? 'enforce' : this.policy.actions[check];
    const r: CheckResult = { check, status, action, ...(message !== undefined ? { message } : {}) };
    this.results.push(r);
    return r;
  }
  /** A failure the policy enforces: verification stops there. */
  critical(r: CheckResult): boolean {
    return r.action === 'enforce' && r.status !== 'passed';
  }
}

function hasRevocationInfo(cert: Certificate): boolean {
  return cert.lib.extensions.some((e) => e.type === '2.5.29.31' || (e.type === '1.3.6.1.5.5.7.1.1' && ((e as unknown as { ocsp?: unknown[] }).ocsp?.length ?? 0) > 0));
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
      const bc = c.lib.extensions.find((e) => e.type === '2.5.29.19') as { ca?: boolean } | undefined;
      let selfSigned = false;
      try { selfSigned = c.node.verify(c.node.publicKey); } catch { selfSigned = false; }
      if (!bc?.ca && !selfSigned) throw new VouchError('INVALID_CERTIFICATE', `certificate with subject "${c.subject}" in trust store ${store.name} of type ${store.type} is not a CA certificate or self-signed signing certificate`);
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
    chain: env.chain.map((c) => ({ subject: c.subject, issuer: c.lib.issuer, notBefore: c.notBefore, notAfter: c.notAfter, thumbprint: thumbprint(c) })),
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
  if (critical.length > 0) {
    const plugin = env.header.extended[HEADER_VERIFICATION_PLUGIN];
    checks.add('integrity', 'inconclusive', typeof plugin === 'string'
      ? `the signature requires the verification plugin "${plugin}"; vouch does not run verification plugins yet`
      : `the signature has critical attributes vouch does not understand: ${critical.join(', ')}`);
    return verdict(checks, env);
  }
  checks.add('integrity', 'passed');

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
  if (policy.trustedIdentities !== undefined) {
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
  const ts = authenticTimestamp(env, policy, opts.now);
  if (checks.critical(checks.add('authenticTimestamp', ts.status, ts.message))) return verdict(checks, env);

  // revocation
  if (policy.actions.revocation !== 'skip') {
    const named = env.chain.filter(hasRevocationInfo);
    const r = named.length > 0
      ? checks.add('revocation', 'inconclusive', `revocation status is unknown: certificate "${(named[0] as Certificate).subject}" names an OCSP or CRL location, and vouch does not check revocation yet`)
      : checks.add('revocation', 'passed', 'no certificate in the chain names an OCSP or CRL location');
    if (checks.critical(r)) return verdict(checks, env);
  }

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

/** notation-go verifyAuthenticTimestamp without a TSA: every certificate valid now (notary.x509), or at the authentic signing time. */
function authenticTimestamp(env: NotationEnvelope, policy: ResolvedPolicy, now: Date): { status: 'passed' | 'failed' | 'inconclusive'; message?: string } {
  if (env.header.signingScheme !== SIGNING_SCHEME_X509) {
    const at = env.header.signingTime;
    const bad = env.chain.find((c) => at < c.notBefore || at > c.notAfter);
    return bad ? { status: 'failed', message: `certificate "${bad.subject}" was not valid when the digital signature was produced at "${iso(at)}"` } : { status: 'passed' };
  }
  const tsa = policy.trustStores.some((s) => s.type === 'tsa');
  const expired = env.chain.some((c) => now > c.notAfter);
  if (tsa && (policy.verifyTimestamp === 'always' || expired)) {
    return { status: 'inconclusive', message: 'the trust policy asks for an RFC 3161 timestamp (a tsa trust store), and vouch does not verify timestamps yet' };
  }
  for (const c of env.chain) {
    if (now < c.notBefore) return { status: 'failed', message: `verification time is before certificate "${c.subject}" validity period, it will be valid from "${iso(c.notBefore)}"` };
    if (now > c.notAfter) return { status: 'failed', message: `verification time is after certificate "${c.subject}" validity period, it was expired at "${iso(c.notAfter)}"` };
  }
  return { status: 'passed' };
}
