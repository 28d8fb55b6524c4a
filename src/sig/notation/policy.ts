// Notation trust policies for OCI artifacts (trustpolicy.oci.json / trustpolicy.json) and blobs
// (trustpolicy.blob.json), validated and applied as notation-go verifier/trustpolicy does
// (trustpolicy.go, oci.go, blob.go): statement names,
// levels and overrides, trust stores `type:name`, trusted identities, registry scopes (exact
// repository or a single global `*`), with notation's messages.
import { VouchError, isJsonObject, parseJson, type JsonObject } from '../../core/index.js';
import { parseDistinguishedName, isSubsetDn, type DistinguishedName } from './dn.js';

export type CheckName = 'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';
export type CheckAction = 'enforce' | 'log' | 'skip';
export type LevelName = 'strict' | 'permissive' | 'audit' | 'skip';
export type TrustStoreType = 'ca' | 'signingAuthority' | 'tsa';

export const CHECKS: readonly CheckName[] = ['integrity', 'authenticity', 'authenticTimestamp', 'expiry', 'revocation'];

/** What each level does with each check (trustpolicy.go LevelStrict … LevelSkip). */
export const LEVELS: Record<LevelName, Record<CheckName, CheckAction>> = {
  strict: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' },
  permissive: { integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  audit: { integrity: 'enforce', authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  skip: { integrity: 'skip', authenticity: 'skip', authenticTimestamp: 'skip', expiry: 'skip', revocation: 'skip' },
};

export interface TrustPolicyStatement {
  name: string;
  registryScopes: string[];
  signatureVerification: { level: string; override?: Record<string, string>; verifyTimestamp?: string };
  trustStores: string[];
  trustedIdentities: string[];
}

export interface TrustPolicyDocument {
  version: string;
  trustPolicies: TrustPolicyStatement[];
}

/** A statement resolved for one artifact: the actions to apply and what to trust. */
export interface ResolvedPolicy {
  name: string;
  level: LevelName | 'custom';
  actions: Record<CheckName, CheckAction>;
  verifyTimestamp: 'always' | 'afterCertExpiry';
  trustStores: { type: TrustStoreType; name: string }[];
  /** undefined: any identity (`*`) */
  trustedIdentities?: DistinguishedName[];
  /** the statement's trustedIdentities as written (what a verification plugin is given) */
  trustedIdentityStrings?: string[];
}

const TRUST_POLICY_LINK = 'https://notaryproject.dev/docs/quickstart/#create-a-trust-policy';
const STORE_TYPES: readonly string[] = ['ca', 'signingAuthority', 'tsa'];
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;
const WILDCARD = '*';
const X509_SUBJECT = 'x509.subject';

const bad = (msg: string): VouchError => new VouchError('INVALID_POLICY', msg, { hint: `see ${TRUST_POLICY_LINK}` });

function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(`malformed trust policy: ${what} must be a list of strings`);
  return v as string[];
}

/** The JSON of a policy document, or notation's "malformed trust policy" (trustpolicy.go getDocument). */
function parsePolicyJson(bytes: Uint8Array | string, what: string): JsonObject {
  let v;
  try { v = parseJson(bytes, { maxBytes: 1024 * 1024, what }); } catch (err) {
    if (err instanceof VouchError && err.code === 'TOO_LARGE') throw err;
    throw bad(`malformed trust policy. To create a trust policy, see: ${TRUST_POLICY_LINK}`);
  }
  if (!isJsonObject(v)) throw bad(`malformed trust policy. To create a trust policy, see: ${TRUST_POLICY_LINK}`);
  return v;
}

/** The members every statement has (OCI and blob), from untrusted JSON. */
function readStatementCore(s: unknown): Omit<TrustPolicyStatement, 'registryScopes'> & { raw: JsonObject } {
  if (!isJsonObject(s)) throw bad('malformed trust policy: a trust policy statement is not an object');
  const sv = isJsonObject(s.signatureVerification) ? s.signatureVerification : {};
  const override = sv.override;
  if (override !== undefined && (!isJsonObject(override) || Object.values(override).some((x) => typeof x !== 'string'))) throw bad('malformed trust policy: override must map verification types to actions');
  return {
    raw: s,
    name: typeof s.name === 'string' ? s.name : '',
    signatureVerification: {
      level: typeof sv.level === 'string' ? sv.level : '',
      ...(override ? { override: override as Record<string, string> } : {}),
      ...(typeof sv.verifyTimestamp === 'string' ? { verifyTimestamp: sv.verifyTimestamp } : {}),
    },
    trustStores: stringList(s.trustStores, 'trustStores'),
    trustedIdentities: stringList(s.trustedIdentities, 'trustedIdentities'),
  };
}

/** Parses and validates a trust policy document (notation-go trustpolicy Document.Validate). */
export function parseTrustPolicy(bytes: Uint8Array | string, what = 'trust policy'): TrustPolicyDocument {
  const v = parsePolicyJson(bytes, what);
  if (v.version === undefined || v.version === '') throw bad('trust policy document has empty version, version must be specified');
  if (v.version !== '1.0') throw bad(`trust policy document uses unsupported version "${String(v.version)}"`);
  if (!Array.isArray(v.trustPolicies) || v.trustPolicies.length === 0) throw bad('trust policy document can not have zero trust policy statements');
  const names = new Set<string>();
  const statements: TrustPolicyStatement[] = v.trustPolicies.map((s) => {
    const { raw, ...core } = readStatementCore(s);
    return { ...core, registryScopes: stringList(raw.registryScopes, 'registryScopes') };
  });
  for (const s of statements) {
    if (names.has(s.name)) throw bad(`multiple trust policy statements use the same name "${s.name}", statement names must be unique`);
    validateStatement(s);
    names.add(s.name);
  }
  const scopeCount = new Map<string, number>();
  for (const s of statements) {
    if (s.registryScopes.length === 0) throw bad(`trust policy statement "${s.name}" has zero registry scopes, it must specify registry scopes with at least one value`);
    if (s.registryScopes.length > 1 && s.registryScopes.includes(WILDCARD)) throw bad(`trust policy statement "${s.name}" uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values`);
    for (const scope of s.registryScopes) {
      if (scope !== WILDCARD) validateScope(scope);
      scopeCount.set(scope, (scopeCount.get(scope) ?? 0) + 1);
    }
  }
  for (const [scope, n] of scopeCount) {
    if (n > 1) throw bad(`registry scope "${scope}" is present in multiple trust policy statements, one registry scope value can only be associated with one statement`);
  }
  return { version: '1.0', trustPolicies: statements };
}

/** The level's actions with the overrides applied (SignatureVerification.GetVerificationLevel). */
export function resolveLevel(sv: TrustPolicyStatement['signatureVerification']): { level: LevelName | 'custom'; actions: Record<CheckName, CheckAction> } {
  if (sv.level === '') throw bad('signature verification level is empty or missing in the trust policy statement');
  if (!(sv.level in LEVELS)) throw bad(`invalid signature verification level "${sv.level}"`);
  const base = sv.level as LevelName;
  const overrides = Object.entries(sv.override ?? {});
  if (overrides.length === 0) return { level: base, actions: { ...LEVELS[base] } };
  if (base === 'skip') throw bad(`signature verification level "skip" can't be used to customize signature verification`);
  const actions = { ...LEVELS[base] };
  for (const [type, action] of overrides) {
    if (!(CHECKS as readonly string[]).includes(type)) throw bad(`verification type "${type}" in custom signature verification is not supported, supported values are ["${CHECKS.join('" "')}"]`);
    if (!['enforce', 'log', 'skip'].includes(action)) throw bad(`verification action "${action}" in custom signature verification is not supported, supported values are ["enforce" "log" "skip"]`);
    if (type === 'integrity') throw bad(`"${type}" verification can not be overridden in custom signature verification`);
    if (type !== 'revocation' && action === 'skip') throw bad(`"${type}" verification can not be skipped in custom signature verification`);
    actions[type as CheckName] = action as CheckAction;
  }
  return { level: 'custom', actions };
}

function validateStatement(s: Omit<TrustPolicyStatement, 'registryScopes'>): void {
  if (s.name === '') throw bad('a trust policy statement is missing a name, every statement requires a name');
  let level;
  try { level = resolveLevel(s.signatureVerification); } catch (err) {
    throw bad(`trust policy statement "${s.name}" has invalid signatureVerification: ${(err as Error).message}`);
  }
  const vt = s.signatureVerification.verifyTimestamp;
  if (vt !== undefined && vt !== '' && vt !== 'always' && vt !== 'afterCertExpiry') {
    throw bad(`trust policy statement "${s.name}" has invalid signatureVerification: verifyTimestamp must be "always" or "afterCertExpiry", but got "${vt}"`);
  }
  if (level.level === 'skip') {
    if (s.trustStores.length > 0 || s.trustedIdentities.length > 0) throw bad(`trust policy statement "${s.name}" is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped`);
    return;
  }
  if (s.trustStores.length === 0 || s.trustedIdentities.length === 0) throw bad(`trust policy statement "${s.name}" is either missing trust stores or trusted identities, both must be specified`);
  for (const store of s.trustStores) parseStoreRef(s.name, store);
  identities(s);
}

function parseStoreRef(policy: string, value: string): { type: TrustStoreType; name: string } {
  const i = value.indexOf(':');
  if (i < 0) throw bad(`trust policy statement "${policy}" has malformed trust store value "${value}". The required format is <TrustStoreType>:<TrustStoreName>`);
  const type = value.slice(0, i);
  const name = value.slice(i + 1);
  if (!STORE_TYPES.includes(type)) throw bad(`trust policy statement "${policy}" uses an unsupported trust store type "${type}" in trust store value "${value}"`);
  if (!STORE_NAME.test(name)) throw bad(`trust policy statement "${policy}" uses an unsupported trust store name "${name}" in trust store value "${value}". Named store name needs to follow [a-zA-Z0-9_.-]+ format`);
  return { type: type as TrustStoreType, name };
}

/** The statement's x509.subject identities; undefined for `*` (validateTrustedIdentities). */
function identities(s: Omit<TrustPolicyStatement, 'registryScopes'>): DistinguishedName[] | undefined {
  const tis = s.trustedIdentities;
  if (tis.length > 1 && tis.includes(WILDCARD)) throw bad(`trust policy statement "${s.name}" uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values`);
  if (tis.includes(WILDCARD)) return undefined;
  const parsed: { raw: string; dn: DistinguishedName }[] = [];
  for (const identity of tis) {
    if (identity === '') throw bad(`trust policy statement "${s.name}" has an empty trusted identity`);
    const i = identity.indexOf(':');
    if (i < 0) throw bad(`trust policy statement "${s.name}" has trusted identity "${identity}" missing separator`);
    if (identity.slice(0, i) !== X509_SUBJECT) continue;
    const value = identity.slice(i + 1);
    if (value === '') throw bad(`trust policy statement "${s.name}" has trusted identity "${identity}" without an identity value`);
    try { parsed.push({ raw: identity, dn: parseDistinguishedName(value) }); } catch (err) {
      throw bad(`trust policy statement "${s.name}" has trusted identity "${identity}" with invalid identity value: ${(err as Error).message}`);
    }
  }
  for (const [i, a] of parsed.entries()) {
    for (const [j, b] of parsed.entries()) {
      if (i !== j && isSubsetDn(a.dn, b.dn)) throw bad(`trust policy statement "${s.name}" has overlapping x509 trustedIdentities, "${a.raw}" overlaps with "${b.raw}"`);
    }
  }
  return parsed.map((p) => p.dn);
}

const DOMAIN = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?(?:(?:\/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$/;

function validateScope(scope: string): void {
  const ensure = 'make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scope like local/myOCILayout';
  if (scope.length > 1 && scope.includes('*')) throw bad(`registry scope "${scope}" with wild card(s) is not valid, ${ensure}`);
  const i = scope.indexOf('/');
  const domain = i < 0 ? '' : scope.slice(0, i);
  const repository = i < 0 ? '' : scope.slice(i + 1);
  if (domain === '' || repository === '' || !DOMAIN.test(domain) || !REPOSITORY.test(repository)) throw bad(`registry scope "${scope}" is not valid, ${ensure}`);
}

/**
 * The statement that applies to `repository` (host/path, no tag or digest): the one that lists it,
 * else the global `*` one (GetApplicableTrustPolicy).
 */
export function applicablePolicy(doc: TrustPolicyDocument, repository: string): ResolvedPolicy {
  validateScope(repository);
  const exact = doc.trustPolicies.find((s) => s.registryScopes.includes(repository));
  const statement = exact ?? doc.trustPolicies.find((s) => s.registryScopes.includes(WILDCARD));
  if (!statement) {
    throw new VouchError('POLICY_DENIED', `artifact "${repository}" has no applicable trust policy statement. Trust policy applicability for a given artifact is determined by registryScopes. To create a trust policy, see: ${TRUST_POLICY_LINK}`);
  }
  return resolveStatement(statement);
}

/** A statement as the verifier applies it: the level's actions, the trust stores, the identities. */
function resolveStatement(statement: Omit<TrustPolicyStatement, 'registryScopes'>): ResolvedPolicy {
  const { level, actions } = resolveLevel(statement.signatureVerification);
  const ids = level === 'skip' ? undefined : identities(statement);
  return {
    name: statement.name,
    level,
    actions,
    verifyTimestamp: statement.signatureVerification.verifyTimestamp === 'afterCertExpiry' ? 'afterCertExpiry' : 'always',
    trustStores: [...new Set(statement.trustStores)].map((s) => parseStoreRef(statement.name, s)),
    ...(ids ? { trustedIdentities: ids } : {}),
    ...(level === 'skip' ? {} : { trustedIdentityStrings: [...statement.trustedIdentities] }),
  };
}

/** A statement of trustpolicy.blob.json: no registry scopes; at most one is the global policy. */
export interface BlobTrustPolicyStatement extends Omit<TrustPolicyStatement, 'registryScopes'> {
  globalPolicy: boolean;
}

export interface BlobTrustPolicyDocument {
  version: string;
  trustPolicies: BlobTrustPolicyStatement[];
}

/** Parses and validates trustpolicy.blob.json (notation-go verifier/trustpolicy/blob.go BlobDocument.Validate). */
export function parseBlobTrustPolicy(bytes: Uint8Array | string, what = 'blob trust policy'): BlobTrustPolicyDocument {
  const v = parsePolicyJson(bytes, what);
  if (v.version === undefined || v.version === '') throw bad('blob trust policy document has empty version, version must be specified');
  if (v.version !== '1.0') throw bad(`blob trust policy document uses unsupported version "${String(v.version)}"`);
  if (!Array.isArray(v.trustPolicies) || v.trustPolicies.length === 0) throw bad('blob trust policy document can not have zero trust policy statements');
  const statements: BlobTrustPolicyStatement[] = v.trustPolicies.map((s) => {
    const { raw, ...core } = readStatementCore(s);
    const global = raw.globalPolicy;
    // Go's json decoder refuses a non-boolean for a bool field
    if (global !== undefined && global !== null && typeof global !== 'boolean') throw bad(`malformed trust policy. To create a trust policy, see: ${TRUST_POLICY_LINK}`);
    return { ...core, globalPolicy: global === true };
  });
  const names = new Set<string>();
  let global = false;
  for (const s of statements) {
    if (names.has(s.name)) throw bad(`multiple blob trust policy statements use the same name "${s.name}", statement names must be unique`);
    try { validateStatement(s); } catch (err) {
      throw bad(`blob trust policy: ${(err as Error).message}`);
    }
    if (s.globalPolicy) {
      if (global) throw bad('multiple blob trust policy statements have globalPolicy set to true. Only one trust policy statement can be marked as global policy');
      if (s.signatureVerification.level === 'skip') throw bad('global blob trust policy statement cannot have verification level set to skip');
      global = true;
    }
    names.add(s.name);
  }
  return { version: '1.0', trustPolicies: statements };
}

/**
 * The blob statement that applies: the one named by `--policy-name`, else the global one
 * (verifier.go VerifyBlob: GetApplicableTrustPolicy / GetGlobalTrustPolicy).
 */
export function applicableBlobPolicy(doc: BlobTrustPolicyDocument, name?: string): ResolvedPolicy {
  if (name !== undefined) {
    if (name.trim() === '') throw new VouchError('INVALID_ARGUMENT', 'policy name cannot be empty');
    const named = doc.trustPolicies.find((s) => s.name === name);
    if (!named) throw new VouchError('POLICY_DENIED', `no applicable blob trust policy with name "${name}"`);
    return resolveStatement(named);
  }
  const global = doc.trustPolicies.find((s) => s.globalPolicy);
  if (!global) throw new VouchError('POLICY_DENIED', 'no global blob trust policy', { hint: 'name a statement with --policy-name, or mark one statement of trustpolicy.blob.json "globalPolicy": true' });
  return resolveStatement(global);
}
