// Runs the vouch CLI in-process with captured output and an injected environment.
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

export interface CliResult { code: number; stdout: string; stderr: string }

export async function runCli(args: string[], env: Record<string, string | undefined>, cwd = process.cwd()): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (t) => { stdout += t; },
    err: (t) => { stderr += t; },
    stdinIsTTY: false,
    stderrIsTTY: false,
  };
  const code = await main(['node', 'vouch', ...args], io, env, cwd);
  return { code, stdout, stderr };
}
