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
