// Which trust policy a command applies: --policy FILE, else $VOUCH_POLICY, else none (the
// built-in policy, docker's behaviour). Errors and warnings point at file:line:column. The policy
// document reader (and with it the YAML parser) loads only when there is a file to read.
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { VouchError } from '../core/index.js';
import { DEFAULT_POLICY, type Policy } from '../policy/index.js';
import type { PolicyCheckOptions } from '../client/policy.js';
import type { HttpTransport } from '../http/index.js';
import type { Context } from './context.js';

export interface LoadedPolicy {
  policy: Policy;
  /** The file as the user named it (for messages); undefined for the built-in policy. */
  file?: string;
  from: 'flag' | 'env' | 'default';
}

/**
 * Reads and validates the policy. Throws `INVALID_POLICY` (every error as file:line:col) or
 * `CONFIG` (unreadable file); warnings go to `warn`, one line each.
 */
export async function loadPolicy(ctx: Context, flag: string | undefined, warn: (line: string) => void = (l) => ctx.io.err(`${l}\n`)): Promise<LoadedPolicy> {
  const envFile = ctx.env.VOUCH_POLICY;
  const [file, from] = flag !== undefined ? [flag, 'flag' as const] : envFile ? [envFile, 'env' as const] : [undefined, 'default' as const];
  if (file === undefined) return { policy: DEFAULT_POLICY, from };
  if (file === '') throw new VouchError('INVALID_ARGUMENT', '--policy needs a file name');
  const path = resolve(ctx.cwd, file);
  const via = from === 'env' ? ' (from VOUCH_POLICY)' : '';
  const { MAX_POLICY_CHARS, formatPolicyIssue, parsePolicy, validatePolicy } = await import('../policy/validate.js');
  let text: string;
  try {
    // A policy is a short hand-written file; do not read something huge into memory first.
    if (statSync(path).size > MAX_POLICY_CHARS * 4) throw new Error(`larger than ${MAX_POLICY_CHARS} characters`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new VouchError('CONFIG', `cannot read the policy file ${file}${via}: ${(err as Error).message}`, {
      hint: from === 'env' ? 'fix or unset VOUCH_POLICY' : 'check the path given to --policy',
      details: { file },
    });
  }
  const { policy, warnings } = validatePolicy(text);
  // parsePolicy builds the INVALID_POLICY error that lists every error with its position.
  if (policy === undefined) return { policy: parsePolicy(text, file), file, from };
  for (const w of warnings) warn(`warning: ${formatPolicyIssue(w, file)}`);
  // Paths in the policy's signers (keys, trust stores, trust policies) are relative to the file.
  return { policy: { ...policy, baseDir: dirname(path) }, file, from };
}

/**
 * What checking the policy's Notation signers takes from the command line, as `vouch notation
 * verify` has it: CRLs (notation's cache) and OCSP for the revocation check, the verification
 * plugins, notation's configuration directory. Nothing is loaded for a policy without Notation signers.
 */
export async function policyCheckOptions(ctx: Context, policy: Policy): Promise<{ options: PolicyCheckOptions; close: () => Promise<void> }> {
  if (!Object.values(policy.signers ?? {}).some((d) => d.kind === 'notation')) return { options: {}, close: async () => {} };
  const [{ revocationSources }, { verificationPluginHost }, { notationConfigDir }] = await Promise.all([
    import('./commands/notation.js'), import('../keys/notation-plugin.js'), import('../keys/notation.js'),
  ]);
  const transports: HttpTransport[] = [];
  const configDir = notationConfigDir(ctx.env);
  const options: PolicyCheckOptions = { notationConfigDir: configDir, revocation: revocationSources(ctx, transports, false), plugins: verificationPluginHost(configDir, { env: ctx.env }) };
  return { options, close: async () => { for (const t of transports) await t.close(); } };
}
