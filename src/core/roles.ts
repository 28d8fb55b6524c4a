// docker's content-trust role names, the one home for them (docker/cli cli/trust/trust.go,
// cli/command/trust/inspect.go).

/** The repository key's role. */
export const TARGETS_ROLE = 'targets';
/** docker's shared delegation: it holds every signer's key, so a signature there does not say who signed. */
export const RELEASES_ROLE = 'targets/releases';
/** How docker names signatures by the repository key (targets) and the shared role (targets/releases). */
export const REPO_ADMIN = 'Repo Admin';

/** The roles whose tags docker pulls: targets and targets/releases. */
export const isReleasedRole = (role: string): boolean => role === TARGETS_ROLE || role === RELEASES_ROLE;
