// Passphrases for private key files (notary passphrase/passphrase.go). The lookup key is the PEM `role` header (the
// "alias"). A variable, when set, is the only answer (no prompt fallback, as docker and notary do);
// otherwise an optional prompt is asked; with neither, NO_PASSPHRASE names the variable to set.
import { VouchError } from '../core/index.js';

export type PassphraseNames = 'docker' | 'notary' | 'both';

export interface PassphraseRequest {
  /** PEM role header of the key (root, targets, snapshot, alice, targets/releases, …) or an alias such as `encrypted`. */
  role: string;
  /** Canonical key ID, for the prompt text only. */
  keyId?: string;
  /** True when the passphrase will encrypt a new key file (prompts ask twice). */
  createNew: boolean;
  /** 0 for the first try; > 0 after a wrong passphrase. */
  attempt: number;
}

export interface Passphrase {
  value: string;
  /** Where it came from ("DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE", "prompt", …), for error messages. */
  from: string;
  /** When true a wrong value is final: asking again would give the same answer. */
  final: boolean;
}

export interface PassphraseSource {
  get(req: PassphraseRequest): Promise<Passphrase>;
}

/** Asks the user; resolves to the passphrase (already confirmed when `createNew`). */
export type PromptFunction = (req: PassphraseRequest & { label: string }) => Promise<string>;

export const DOCKER_ROOT_VAR = 'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE';
export const DOCKER_REPOSITORY_VAR = 'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE';
export const NOTARY_VARS = {
  root: 'NOTARY_ROOT_PASSPHRASE',
  targets: 'NOTARY_TARGETS_PASSPHRASE',
  snapshot: 'NOTARY_SNAPSHOT_PASSPHRASE',
  delegation: 'NOTARY_DELEGATION_PASSPHRASE',
} as const;

const BASE_ROLES = new Set(['root', 'targets', 'snapshot', 'timestamp']);

/** The variables consulted for a role, in order. */
export function passphraseVariables(role: string, names: PassphraseNames = 'both'): string[] {
  const out: string[] = [];
  if (names !== 'notary') {
    // docker: root has its own variable; everything else (targets, snapshot, signers, `encrypted`) the repository one.
    out.push(role === 'root' ? DOCKER_ROOT_VAR : DOCKER_REPOSITORY_VAR);
  }
  if (names !== 'docker') {
    if (role === 'root' || role === 'targets' || role === 'snapshot') out.push(NOTARY_VARS[role]);
    // notary: any non-base role (delegations and names such as "alice") may use the delegation variable.
    else if (!BASE_ROLES.has(role)) out.push(NOTARY_VARS.delegation);
  }
  return out;
}

/** How docker's prompt names the key ("root" or "repository"); other tools use the role itself. */
function promptLabel(role: string, names: PassphraseNames): string {
  if (names === 'notary') return role;
  return role === 'root' ? 'root' : 'repository';
}

export interface PassphraseSourceOptions {
  /** The environment (injected; the CLI passes process.env). */
  env: Readonly<Record<string, string | undefined>>;
  /** Which variable names to honour (default both, docker's first). */
  names?: PassphraseNames;
  /** Called when no variable is set; omit when there is no terminal. */
  prompt?: PromptFunction;
}

export function createPassphraseSource(opts: PassphraseSourceOptions): PassphraseSource {
  const names = opts.names ?? 'both';
  // Prompted answers are remembered per role for the rest of the command, as notary does.
  const cache = new Map<string, string>();
  return {
    async get(req: PassphraseRequest): Promise<Passphrase> {
      const vars = passphraseVariables(req.role, names);
      for (const name of vars) {
        const v = opts.env[name];
        // An empty variable counts as unset (docker and notary test `v != ""`).
        if (v !== undefined && v !== '') return { value: v, from: name, final: true };
      }
      if (opts.prompt === undefined) throw noPassphrase(req, vars);
      if (req.attempt === 0 && cache.has(req.role)) return { value: cache.get(req.role) as string, from: 'prompt', final: false };
      const value = await opts.prompt({ ...req, label: promptLabel(req.role, names) });
      cache.set(req.role, value);
      return { value, from: 'prompt', final: false };
    },
  };
}

/** One passphrase for every key (library callers, tests, `--passphrase-file` style options). */
export function fixedPassphrase(value: string, from = 'the given passphrase'): PassphraseSource {
  return { get: async () => ({ value, from, final: true }) };
}

function noPassphrase(req: PassphraseRequest, vars: string[]): VouchError {
  const what = `the ${req.role} key${req.keyId ? ` ${req.keyId.slice(0, 7)}` : ''}`;
  const hint = vars.length > 0
    ? `set ${vars.join(' or ')}, or run in a terminal to be prompted`
    : 'no environment variable covers this role; run in a terminal to be prompted';
  return new VouchError('NO_PASSPHRASE', `no passphrase for ${what}: ${hint}`, { hint, details: { role: req.role, variables: vars } });
}

export const MAX_PASSPHRASE_ATTEMPTS = 3;

/**
 * Runs `use` with passphrases from `source` until it stops failing with BAD_PASSPHRASE, up to
 * MAX_PASSPHRASE_ATTEMPTS (or once for a final source such as a variable).
 */
export async function withPassphrase<T>(source: PassphraseSource, req: Omit<PassphraseRequest, 'attempt'>, use: (passphrase: string) => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const p = await source.get({ ...req, attempt });
    try {
      return use(p.value);
    } catch (err) {
      if (!(err instanceof VouchError) || err.code !== 'BAD_PASSPHRASE') throw err;
      if (p.final || attempt + 1 >= MAX_PASSPHRASE_ATTEMPTS) {
        const what = `the ${req.role} key${req.keyId ? ` ${req.keyId.slice(0, 7)}` : ''}`;
        throw new VouchError('BAD_PASSPHRASE', `wrong passphrase for ${what} (from ${p.from})`, {
          cause: err,
          hint: p.from === 'prompt' ? 'check the passphrase and try again' : `check the value of ${p.from}`,
          details: { role: req.role, from: p.from },
        });
      }
    }
  }
}
