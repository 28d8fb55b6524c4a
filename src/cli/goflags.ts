// Go's flag package lets a boolean flag be written `--flag`, `--flag=true` or `--flag=false`, and
// scripts written for cosign use all three. commander spells them `--flag` and `--no-flag`; this
// rewrites the Go forms of the named flags, and leaves everything else as it is.
export function goBooleanFlags(args: readonly string[], flags: readonly string[]): string[] {
  const known = new Set(flags);
  return args.map((arg) => {
    const m = /^--([a-z0-9-]+)=(true|false|1|0)$/.exec(arg);
    if (m === null || !known.has(m[1] as string)) return arg;
    return m[2] === 'true' || m[2] === '1' ? `--${m[1] as string}` : `--no-${m[1] as string}`;
  });
}

/** cosign's boolean flags that vouch cosign accepts. */
export const COSIGN_BOOLEAN_FLAGS = ['tlog-upload', 'insecure-ignore-tlog', 'yes', 'new-bundle-format', 'use-signing-config', 'experimental-oci11', 'allow-http-registry', 'allow-insecure-registry'] as const;
