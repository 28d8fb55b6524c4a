// Shared pieces of the benchmarks: child processes, waiting for ports, wrk output parsing, reports.
import { spawn, type ChildProcess } from 'node:child_process';
import { run, waitForPort, type RunResult } from '../test/support/peers.js';

export { run, waitForPort, type RunResult };

export function startProcess(cmd: string, args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => { tail = (tail + d.toString()).slice(-4000); });
  child.on('exit', (code) => { if (code && code !== 0 && code !== 143) process.stderr.write(`${cmd} exited ${code}: ${tail}\n`); });
  return child;
}

export interface WrkResult { requestsPerSec: number; p50ms: number; p99ms: number; non2xx: number; errors: number }

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!rps || !p99 || !p50) throw new Error(`cannot parse wrk output:\n${out}`);
  return {
    requestsPerSec: Number(rps[1]),
    p50ms: toMs(p50[1] as string),
    p99ms: toMs(p99[1] as string),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    errors: sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]) : 0,
  };
}

export async function wrk(url: string, opts: { threads: number; connections: number; seconds: number }): Promise<WrkResult> {
  const r = await run('wrk', [`-t${opts.threads}`, `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency', url], { timeoutMs: (opts.seconds + 30) * 1000 });
  if (r.code !== 0) throw new Error(`wrk failed (${r.code}): ${r.stderr}`);
  return parseWrk(r.stdout);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Wall time, and CPU time (user + sys, from GNU time) which other load on the machine disturbs less. */
export async function timed(cmd: string, args: string[], env?: Record<string, string | undefined>): Promise<{ ms: number; cpuMs: number; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const r = await run('/usr/bin/time', ['-f', 'VOUCH_BENCH_CPU %U %S', cmd, ...args], { ...(env ? { env } : {}), timeoutMs: 600_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.stderr.slice(-2000)}`);
  const m = /VOUCH_BENCH_CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  const cpuMs = m ? (Number(m[1]) + Number(m[2])) * 1000 : Number.NaN;
  return { ms, cpuMs, stdout: r.stdout };
}

export function ratio(ours: number, theirs: number): string {
  return theirs > 0 ? `${(ours / theirs).toFixed(2)}x` : 'n/a';
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd()).join('\n');
}
