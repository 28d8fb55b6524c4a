// Which roles' key files name their repository (kept apart from keyfile.ts, which loads the PKCS#8
// and DER code, so that the trust directory can answer without it).

/** Roles whose key files carry a `gun` header; root and delegation keys are GUN-independent. */
export function roleHasGun(role: string | undefined): boolean {
  return role === 'targets' || role === 'snapshot' || role === 'timestamp';
}
