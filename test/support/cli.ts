// Runs the vouch CLI in-process with captured output and an injected environment.
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

export interface CliResult { code: number; stdout: string; stderr: string }

/** `input`: what the user types, one line per question (none: every question is answered by end of input). */
export async function runCli(args: string[], env: Record<string, string | undefined>, cwd = process.cwd(), input?: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  let rest = input ?? '';
  const nextLine = (): string => {
    const i = rest.indexOf('\n');
    const line = i < 0 ? rest : rest.slice(0, i);
    rest = i < 0 ? '' : rest.slice(i + 1);
    return line;
  };
  const io: Io = {
    out: (t) => { stdout += t; },
    err: (t) => { stderr += t; },
    stdinIsTTY: false,
    stderrIsTTY: false,
    ...(input !== undefined ? { readLine: async () => nextLine() } : {}),
  };
  const code = await main(['node', 'vouch', ...args], io, env, cwd);
  return { code, stdout, stderr };
}
