// The Notation and cosign signers of a trust policy, verified for one policy check: the candidate
// digests, the signers' trust material, the shared and bounded registry reads. Loaded by
// checkPolicy (policy.ts) only when the applying rule names such signers, so a pull under docker's
// rules does not load the signature formats (pkijs, asn1js, cbor2, sigstore): bench/pull/README.md.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { VouchError, isVouchError } from '../core/index.js';
import type { CosignSignerDefinition, NotationSignerDefinition, OciSignatureFact, Policy, SignatureCheck, SignatureStatus, TrustFacts } from '../policy/index.js';
import { formatReference, type ImageReference } from '../oci/reference.js';
import type { RegistryClient } from '../oci/client.js';
import { parseTrustPolicy, type TrustPolicyDocument } from '../sig/index.js';
import { notationConfigDir, readNotationTrustPolicy, readNotationTrustStores } from '../keys/notation.js';
import { parseCosignPublicKey } from '../keys/cosign.js';
import { readFileIfExists } from '../keys/fsutil.js';
import type { IdentityPolicy } from '../sig/cosign/keyless.js';
import { RegistrySignatureStore, verifyNotation } from './notation.js';
import { verifyCosign, type CosignVerifier } from './cosign.js';
import { MAX_CANDIDATE_DIGESTS, MAX_POLICY_READS, SIGNATURE_LIMITS } from './limits.js';
import { isRegistryFailure } from './signatures.js';
import type { PolicyCheckOptions } from './policy.js';
import type { Session } from './session.js';

/** Signature facts reported per signer and digest besides the ones that passed. */
const MAX_FACTS_PER_DIGEST = SIGNATURE_LIMITS.signaturesPerImage;
/** A cosign public key file is small; anything bigger is not one. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * The digests the OCI signers are checked on: the pinned digest; else the one the registry
 * resolves the tag to, then the ones DCT signers signed (most signers first), at most
 * MAX_CANDIDATE_DIGESTS. A registry that cannot be read leaves the DCT digests, and says so.
 */
async function candidateDigests(s: Session, ref: ImageReference, facts: TrustFacts): Promise<{ digests: string[]; unreadable?: VouchError }> {
  if (ref.digest !== undefined) return { digests: [ref.digest.toLowerCase()] };
  const counts = new Map<string, number>();
  for (const f of facts.signatures) counts.set(f.digest, (counts.get(f.digest) ?? 0) + 1);
  const signed = [...counts].sort((a, b) => b[1] - a[1]).map(([d]) => d);
  let fromRegistry: string | undefined;
  let unreadable: VouchError | undefined;
  try {
    fromRegistry = (await s.registryFor(ref.registry).headManifest(ref.repository, ref.tag ?? 'latest'))?.digest;
  } catch (err) {
    if (!isVouchError(err)) throw err;
    unreadable = err;
  }
  const digests = [...new Set([...(fromRegistry !== undefined ? [fromRegistry] : []), ...signed])].slice(0, MAX_CANDIDATE_DIGESTS);
  return { digests, ...(unreadable !== undefined ? { unreadable } : {}) };
}

/**
 * A registry client whose reads are asked once per policy check, however many signers look at
 * them: manifests, blobs and referrer lists of one image are shared across signers of every kind.
 */
function sharedReads(client: RegistryClient): RegistryClient {
  const reads = new Set<PropertyKey>(['getManifest', 'getManifestBytes', 'headManifest', 'readBlob', 'listReferrers']);
  const memo = new Map<string, Promise<unknown>>();
  let made = 0;
  return new Proxy(client, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      const fn = v as (...args: unknown[]) => unknown;
      if (!reads.has(prop)) return fn.bind(target);
      return (...args: unknown[]): Promise<unknown> => {
        const key = `${String(prop)}\0${JSON.stringify(args)}`;
        let p = memo.get(key);
        if (p === undefined) {
          // A registry that lists signature after signature (a .sig manifest of 1000 layers) gets this many reads, no more.
          if (++made > MAX_POLICY_READS) {
            return Promise.reject(new VouchError('TOO_LARGE', `more than ${MAX_POLICY_READS} signature reads from ${client.registry} for one policy check; the rest were not read`, { details: { limit: MAX_POLICY_READS } }));
          }
          p = Promise.resolve(fn.apply(target, args));
          memo.set(key, p);
        }
        return p;
      };
    },
  });
}

/** The session as the verifiers see it during one policy check: registry reads shared (sharedReads). */
function sharedSession(s: Session): Session {
  const clients = new Map<string, RegistryClient>();
  const view = Object.create(s) as Session;
  view.registryFor = (registry: string, opts: { plainHttp?: boolean } = {}): RegistryClient => {
    const key = `${registry}\0${String(opts.plainHttp)}`;
    let c = clients.get(key);
    if (c === undefined) {
      c = sharedReads(s.registryFor(registry, opts));
      clients.set(key, c);
    }
    return c;
  };
  return view;
}

/** A path of the policy file: relative ones are relative to the file (Policy.baseDir). */
function policyPath(policy: Policy, path: string, signer: string): string {
  if (isAbsolute(path)) return path;
  if (policy.baseDir === undefined) {
    throw new VouchError('CONFIG', `signer '${signer}': the relative path ${path} needs the policy file's directory`, { hint: 'set Policy.baseDir to the directory of the policy file (vouch sets it when it reads the file), or write an absolute path' });
  }
  return resolvePath(policy.baseDir, path);
}

type LoadedSigner =
  | { kind: 'notation'; name: string; policy: TrustPolicyDocument; configDir: string }
  | { kind: 'cosign'; name: string; def: CosignSignerDefinition; verifier: CosignVerifier };

/** A signer's trust material, read once per check. */
async function loadSigner(s: Session, policy: Policy, name: string, options: PolicyCheckOptions): Promise<LoadedSigner> {
  const def = policy.signers?.[name];
  if (def === undefined || def.kind === 'dct') throw new VouchError('INTERNAL', `signer '${name}' is not a Notation or cosign signer`);
  if (def.kind === 'notation') return loadNotationSigner(s, policy, name, def, options);
  if (def.key === undefined) return { kind: 'cosign', name, def, verifier: await loadKeylessVerifier(s, policy, name, def) };
  const file = policyPath(policy, def.key, name);
  const size = await stat(file).then((st) => st.size, (err: Error) => {
    throw new VouchError('FILE_NOT_FOUND', `signer '${name}': cannot read the cosign public key ${file}: ${err.message}`, { details: { file } });
  });
  if (size > MAX_KEY_FILE_BYTES) throw new VouchError('TOO_LARGE', `signer '${name}': ${file} is ${size} bytes, not a cosign public key`, { details: { file, size, limit: MAX_KEY_FILE_BYTES } });
  return { kind: 'cosign', name, def, verifier: parseCosignPublicKey(await readFile(file)) };
}

/**
 * A keyless cosign signer as `vouch cosign verify` checks one: the trusted root (read bounded, as
 * --trusted-root) and the identity policy (issuer[RegExp] as --certificate-oidc-issuer[-regexp],
 * subject[RegExp] as --certificate-identity[-regexp]); the transparency-log evidence is required.
 */
async function loadKeylessVerifier(s: Session, policy: Policy, name: string, def: CosignSignerDefinition): Promise<CosignVerifier> {
  if (def.trustedRoot === undefined) throw new VouchError('CONFIG', `the cosign signer '${name}' has neither \`key\` nor \`trustedRoot\``);
  const file = policyPath(policy, def.trustedRoot, name);
  const { MAX_TRUSTED_ROOT_BYTES, parseTrustedRoot } = await import('../sig/cosign/trustroot.js');
  const bytes = await readFileIfExists(file, MAX_TRUSTED_ROOT_BYTES);
  if (bytes === undefined) throw new VouchError('FILE_NOT_FOUND', `signer '${name}': no trusted root at ${file}`, { details: { file } });
  const identity: IdentityPolicy = {
    ...(def.subject !== undefined ? { identity: def.subject } : {}), ...(def.subjectRegExp !== undefined ? { identityRegexp: def.subjectRegExp } : {}),
    ...(def.issuer !== undefined ? { issuer: def.issuer } : {}), ...(def.issuerRegExp !== undefined ? { issuerRegexp: def.issuerRegExp } : {}),
  };
  return { trust: { kind: 'keyless', trustedRoot: parseTrustedRoot(bytes, { what: file }), policy: identity }, now: s.now() };
}

/** notation's own trust policy file as it is, or one statement built from the signer's trust stores, identities and level. */
async function loadNotationSigner(s: Session, policy: Policy, name: string, def: NotationSignerDefinition, options: PolicyCheckOptions): Promise<LoadedSigner> {
  const configDir = def.trustStoreDir !== undefined ? policyPath(policy, def.trustStoreDir, name) : options.notationConfigDir ?? notationConfigDir(s.opts.env);
  if (def.trustPolicy !== undefined) {
    const read = await readNotationTrustPolicy(configDir, policyPath(policy, def.trustPolicy, name));
    return { kind: 'notation', name, policy: read.policy, configDir };
  }
  const statement = {
    name: name, registryScopes: ['*'], signatureVerification: { level: def.level ?? 'strict' },
    trustStores: [...(def.trustStores ?? [])], trustedIdentities: [...(def.identities ?? [])],
  };
  // notation's own validation (DN syntax, overlapping identities), with notation's messages.
  return { kind: 'notation', name, policy: parseTrustPolicy(JSON.stringify({ version: '1.0', trustPolicies: [statement] }), `signer '${name}'`), configDir };
}

const statusOfError = (err: VouchError): SignatureStatus => (isRegistryFailure(err) || err.outcome === 'inconclusive' ? 'inconclusive' : 'failed');

/** Every named OCI signer of the applying rule, verified on each candidate digest with its own trust material. */
export async function ociFacts(s: Session, ref: ImageReference, policy: Policy, names: readonly string[], dct: TrustFacts, options: PolicyCheckOptions): Promise<OciSignatureFact[]> {
  const kindOf = (name: string): 'notation' | 'cosign' => (policy.signers?.[name]?.kind === 'notation' ? 'notation' : 'cosign');
  const shared = sharedSession(s);
  const { digests, unreadable } = await candidateDigests(shared, ref, dct);
  const out: OciSignatureFact[] = [];
  for (const name of names) {
    let signer: LoadedSigner;
    try {
      signer = await loadSigner(s, policy, name, options);
    } catch (err) {
      if (!isVouchError(err)) throw err;
      // Trust material that cannot be loaded decides nothing about the image.
      out.push({ kind: kindOf(name), signer: name, status: 'inconclusive', checks: [{ check: 'trust-material', status: 'inconclusive', message: err.message }], message: err.message });
      continue;
    }
    if (unreadable !== undefined) {
      out.push({ kind: signer.kind, signer: name, status: statusOfError(unreadable), checks: [], message: `the registry could not resolve ${formatReference(ref)}: ${unreadable.message}` });
    }
    for (const digest of digests) {
      const image: ImageReference = { registry: ref.registry, repository: ref.repository, digest };
      try {
        out.push(...(signer.kind === 'notation' ? await notationSignerFacts(shared, image, signer, options) : await verifyCosignSigner(shared, image, signer)));
      } catch (err) {
        if (!isVouchError(err)) throw err;
        out.push({ kind: signer.kind, signer: name, digest, status: statusOfError(err), checks: [], message: err.message });
      }
    }
  }
  return out;
}

/** One Notation signer on one digest, through the Notation verifier (client/notation.ts) over the shared reads. */
async function notationSignerFacts(s: Session, image: ImageReference, signer: Extract<LoadedSigner, { kind: 'notation' }>, options: PolicyCheckOptions): Promise<OciSignatureFact[]> {
  const digest = image.digest as string;
  const base = { kind: 'notation' as const, signer: signer.name, digest };
  const r = await verifyNotation({
    store: new RegistrySignatureStore(s.registryFor(image.registry), image.repository), reference: digest, scope: `${image.registry}/${image.repository}`,
    policy: signer.policy, readTrustStores: (stores) => readNotationTrustStores(signer.configDir, stores), maxSignatures: SIGNATURE_LIMITS.signaturesPerImage, now: s.now(),
    ...(options.plugins ? { plugins: options.plugins } : {}), ...(options.revocation ?? {}),
  });
  if (r.skipped) return [{ ...base, status: 'failed', checks: [], message: `notation's trust policy statement '${r.policy.name}' skips verification for ${image.registry}/${image.repository}, so it vouches for nothing` }];
  if (r.signatures.length === 0) return [{ ...base, status: 'failed', checks: [], message: r.error ?? 'no Notation signature' }];
  return r.signatures.map((o): OciSignatureFact => {
    if (o.verdict === undefined) {
      const status: SignatureStatus = o.error !== undefined && statusOfError(new VouchError(o.error.code, o.error.message)) === 'inconclusive' ? 'inconclusive' : 'failed';
      return { ...base, signature: o.digest, status, checks: [], message: o.error?.message ?? 'unreadable signature' };
    }
    const v = o.verdict;
    const checks: SignatureCheck[] = v.checks.map((c) => ({ check: c.check, status: c.status, ...(c.message !== undefined ? { message: c.message } : {}) }));
    const status: SignatureStatus = v.verified ? 'passed' : v.failure?.status === 'inconclusive' ? 'inconclusive' : 'failed';
    const message = v.verified ? `signed by ${v.signer?.subject ?? 'a trusted identity'} (trust policy '${v.policy}', level ${v.level})` : `${v.failure?.check ?? 'verification'}: ${v.failure?.message ?? 'failed'}`;
    return { ...base, signature: o.digest, status, checks, message };
  });
}

/**
 * One cosign signer on one digest: the one place cosign's formats plug into the policy, through
 * client/cosign.ts verifyCosign, as `vouch cosign verify` checks them: the legacy `.sig` signatures
 * and the Sigstore bundles referring to the digest, with the public key (no transparency log, as
 * `--key --insecure-ignore-tlog`) or keyless (trusted root, issuer and subject, with the log's or a
 * timestamp's evidence).
 */
export async function verifyCosignSigner(s: Session, image: ImageReference, signer: { name: string; verifier: CosignVerifier }): Promise<OciSignatureFact[]> {
  const digest = image.digest as string;
  const base = { kind: 'cosign' as const, signer: signer.name, digest };
  const r = await verifyCosign(s, image, signer.verifier);
  if (r.outcomes.length === 0) return [{ ...base, status: 'failed', checks: [], message: `no cosign signature (${r.signatureTag} or a Sigstore bundle referring to ${digest})` }];
  const keyless = 'trust' in signer.verifier;
  return boundFacts(r.outcomes.map((o): OciSignatureFact => {
    const c = o.verdict.checks ?? {};
    // A payload or bundle that could not be read is not a verdict on the signature.
    const status: SignatureStatus = o.verdict.verified ? 'passed' : c.signature === 'skipped' ? 'inconclusive' : 'failed';
    const checks: SignatureCheck[] = (['signature', 'claims', 'tlog'] as const).flatMap((k) => (c[k] === undefined ? [] : [{ check: k, status: c[k] }]));
    const signedBy = o.verdict.signer;
    const passed = keyless
      ? `signed by ${signedBy?.subject ?? 'an unnamed subject'} (issuer ${signedBy?.issuer ?? 'unknown'}), verified against the trusted root; the claims name this digest`
      : 'verified with the public key; the claims name this digest';
    return { ...base, signature: o.layer, status, checks, message: o.verdict.reason ?? passed };
  }));
}

/** Every passed fact, and at most MAX_FACTS_PER_DIGEST others: a report stays readable whatever a registry holds. */
function boundFacts(facts: OciSignatureFact[]): OciSignatureFact[] {
  let others = 0;
  return facts.filter((f) => f.status === 'passed' || ++others <= MAX_FACTS_PER_DIGEST);
}
