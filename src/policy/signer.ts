// Signer names as users write them in a policy, and the Notary roles they stand for.
// docker shows the repository key as "Repo Admin" and a delegation `targets/alice` as "alice"
// (docker/cli cli/command/trust/inspect.go); the policy accepts those names and the role names themselves.

import { RELEASES_ROLE, REPO_ADMIN, TARGETS_ROLE } from '../core/index.js';

export { REPO_ADMIN };

const SIGNER_NAME = /^[a-z0-9][a-z0-9_-]*$/; // docker trust signer add (notary tuf/data/roles.go; docker/cli cli/command/trust/signer_add.go)
const ROLE_NAME = /^[-a-z0-9_/]+$/; // Notary delegation role names (notary tuf/data/roles.go; docker/cli cli/command/trust/signer_add.go)

export type SignerParse = { role: string } | { error: string };

/** Maps a policy signer entry to its role name, or says why it is not one. */
export function parseSigner(name: string): SignerParse {
  if (name === REPO_ADMIN || name === TARGETS_ROLE) return { role: TARGETS_ROLE };
  if (name === 'releases' || name === RELEASES_ROLE) {
    return {
      error: `'${name}' is docker's shared role that holds every signer's key, so it does not say who signed; name the signers (e.g. alice) or write \`signers: any\``,
    };
  }
  if (name.startsWith('targets/')) {
    const rest = name.slice('targets/'.length);
    const clean = rest.split('/').every((c) => c !== '' && c !== '.' && c !== '..');
    if (ROLE_NAME.test(rest) && clean && name.length < 256) return { role: name };
    return { error: `'${name}' is not a valid delegation role: lowercase letters, digits, '-', '_' and '/' between non-empty parts` };
  }
  if (SIGNER_NAME.test(name)) return { role: `targets/${name}` };
  const lower = name.toLowerCase();
  const hint = lower !== name && SIGNER_NAME.test(lower) ? ` (signer names are lowercase: '${lower}')` : '';
  return {
    error: `'${name}' is not a signer: expected a docker signer name (lowercase letters, digits, '_' and '-', e.g. alice), '${REPO_ADMIN}' for the repository key, or a role such as targets/alice${hint}`,
  };
}

/** The name docker shows for a role: `Repo Admin`, `alice`, `releases`. */
export function displaySigner(role: string): string {
  if (role === TARGETS_ROLE) return REPO_ADMIN;
  return role.startsWith('targets/') ? role.slice('targets/'.length) : role;
}

/** Notary path check: a role may sign a tag when one of its paths is a prefix of it (`""` allows all). */
export function pathsAllow(paths: readonly string[] | undefined, tag: string): boolean {
  if (paths === undefined) return true;
  return paths.some((p) => tag.startsWith(p));
}

/** Names in the top-level `signers:` map: like docker signer names, so a name reads the same everywhere. */
export function checkSignerName(name: string): string | undefined {
  if (name === 'targets' || name === 'releases') return `'${name}' is a Notary role name; name the signer something else (e.g. release-bot)`;
  if (!SIGNER_NAME.test(name) || name.length > 64) return `'${name}' is not a signer name: lowercase letters, digits, '_' and '-', starting with a letter or digit, at most 64 characters`;
  return undefined;
}

/** `type:name` as notation's trust policy names a trust store (notation-go verifier/trustpolicy/trustpolicy.go). */
export function checkTrustStoreRef(value: string): string | undefined {
  const m = /^([^:]*):(.*)$/.exec(value);
  if (m === null) return `trust store '${value}' must be written TYPE:NAME, e.g. ca:acme`;
  if (!['ca', 'signingAuthority', 'tsa'].includes(m[1] as string)) return `trust store '${value}' has type '${m[1] as string}'; notation's types are ca, signingAuthority and tsa`;
  if (!/^[a-zA-Z0-9_.-]+$/.test(m[2] as string)) return `trust store '${value}' has name '${m[2] as string}'; names use letters, digits, '_', '.' and '-'`;
  return undefined;
}

/**
 * A Notation trusted identity: `*`, or `x509.subject: DN` where the DN (RFC 4514) carries one value
 * each for C, ST (or S) and O at least, as notation requires (notation-go internal/pkix/pkix.go
 * ParseDistinguishedName). The full parse is notation's, at verification time (src/sig/notation/dn.ts);
 * this catches what would make every signature fail, with the position in the policy file.
 */
export function checkNotationIdentity(value: string): string | undefined {
  if (value === '*') return undefined;
  const prefix = 'x509.subject:';
  if (!value.startsWith(prefix)) return `identity '${value}' must be '*' or 'x509.subject: DN', e.g. "x509.subject: C=US, ST=WA, O=Acme, CN=ci"`;
  const dn = value.slice(prefix.length).trim();
  if (dn === '') return `identity '${value}' names no distinguished name`;
  const types = new Set<string>();
  // RDNs end at an unescaped ',' ';' or '+' (go-ldap ParseDN); `\` escapes the next character.
  for (const part of dn.split(/(?<!\\)[,;+]/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return `identity '${value}': '${part.trim()}' is not TYPE=VALUE`;
    let type = part.slice(0, eq).trim().toUpperCase();
    if (type === 'S') type = 'ST';
    if (types.has(type)) return `identity '${value}' gives ${type} twice; notation allows one value per attribute type`;
    types.add(type);
  }
  const missing = ['C', 'ST', 'O'].filter((t) => !types.has(t));
  if (missing.length > 0) return `identity '${value}' lacks ${missing.join(', ')}: notation requires C, ST (or S) and O in a trusted identity`;
  return undefined;
}

/** A regular expression from the policy (cosign's --certificate-identity-regexp and friends): compiles, bounded length. */
export function checkRegExp(value: string): string | undefined {
  if (value.length > 1024) return 'a regular expression is at most 1024 characters';
  try {
    new RegExp(value, 'u');
  } catch (err) {
    return `'${value}' does not compile as a regular expression: ${(err as Error).message}`;
  }
  return undefined;
}
