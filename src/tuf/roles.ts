// Role names and delegation paths (notary tuf/data/roles.go; docker/cli cli/command/trust/signer_add.go; notary tuf/data/targets.go).
import { VouchError } from '../core/index.js';

export type BaseRole = 'root' | 'targets' | 'snapshot' | 'timestamp';
export const BASE_ROLES: readonly BaseRole[] = ['root', 'targets', 'snapshot', 'timestamp'];
export { RELEASES_ROLE } from '../core/index.js';

const DELEGATION_CHARS = /^[-a-z0-9_/]+$/;

export function isBaseRole(name: string): name is BaseRole {
  return (BASE_ROLES as readonly string[]).includes(name);
}

/**
 * Notary's IsDelegation: `targets/…`, lowercase `[-a-z0-9_/]`, under 256 bytes, and a clean path
 * (no empty segment, no trailing slash; `.`/`..` cannot pass the character rule anyway).
 */
export function isDelegationName(name: string): boolean {
  return typeof name === 'string'
    && name.startsWith('targets/')
    && DELEGATION_CHARS.test(name)
    && Buffer.byteLength(name) < 256
    && name.split('/').every((seg) => seg !== '');
}

export function isValidRoleName(name: string): boolean {
  return isBaseRole(name) || isDelegationName(name);
}

export function assertRoleName(name: string): void {
  if (!isValidRoleName(name)) throw new VouchError('INVALID_ROLE', `'${name}' is not a valid role name`, { details: { role: name } });
}

/** Roles whose files are Targets documents: `targets` and every delegation. */
export function isTargetsRole(name: string): boolean {
  return name === 'targets' || isDelegationName(name);
}

/** The delegating role: `targets/a/b` → `targets/a`, `targets/a` → `targets`; undefined for base roles. */
export function parentRole(name: string): string | undefined {
  if (!isDelegationName(name)) return undefined;
  return name.slice(0, name.lastIndexOf('/'));
}

/** A delegation entry may only name a direct child of the file's own role (notary tuf/data/targets.go). */
export function isDirectChild(parent: string, child: string): boolean {
  return isDelegationName(child) && parentRole(child) === parent;
}

/** Depth below `targets` (`targets` = 0, `targets/a` = 1). */
export function delegationDepth(name: string): number {
  return name === 'targets' ? 0 : name.split('/').length - 1;
}

/** Paths are prefixes; `""` allows everything. A role with no paths can sign nothing. */
export function isPathAllowed(target: string, paths: readonly string[]): boolean {
  return paths.some((p) => target.startsWith(p));
}

/** A child's paths count only where they fall under one of the parent's paths (notary RestrictDelegationPathPrefixes). */
export function restrictPaths(parentPaths: readonly string[], childPaths: readonly string[]): string[] {
  return childPaths.filter((c) => parentPaths.some((p) => c.startsWith(p)));
}

/** The paths of the top-level targets role: everything. */
export const ALL_PATHS: readonly string[] = Object.freeze(['']);
