// The servers of bench/server: vouch server from a build (this checkout's, or BENCH_BASE's), and the
// seeding both benchmarks give a server (notary CLI: repositories, and a targets file of 50 tags).
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { freePorts, type Peers } from '../../test/support/peers.js';
import { projectRoot } from '../../test/support/paths.js';
import { run, startProcess, waitForPort } from '../lib.js';

export interface ServerUnderTest { name: string; url: string; pid?: number | undefined; stop(): Promise<void> }

export async function seed(peers: Peers, url: string, trustDir: string, guns: string[]): Promise<void> {
  const env = { NOTARY_URL: url, NOTARY_CA: peers.ca };
  for (const gun of guns) {
    const init = await peers.notary(['init', '-p', gun], { env, trustDir });
    if (init.code !== 0) throw new Error(`notary init ${gun} on ${url}: ${init.stderr}`);
    const rot = await peers.notary(['key', 'rotate', gun, 'snapshot', '-r'], { env, trustDir });
    if (rot.code !== 0) throw new Error(`notary key rotate ${gun} on ${url}: ${rot.stderr}`);
  }
  // The read target gets 50 tags, a realistic targets file.
  for (let i = 0; i < 50; i++) {
    const hex = createHash('sha256').update(String(i)).digest('hex');
    await peers.notary(['addhash', guns[0] as string, `v${i}`, '1234', '--sha256', hex], { env, trustDir });
  }
  const pub = await peers.notary(['publish', guns[0] as string], { env, trustDir });
  if (pub.code !== 0) throw new Error(`notary publish on ${url}: ${pub.stderr}`);
}

export async function startVouch(peers: Peers, storage: string, workers: number, root = projectRoot): Promise<ServerUnderTest> {
  const [port] = await freePorts(1);
  const certs = join(peers.dir, 'certs');
  const child: ChildProcess = startProcess(process.execPath, [join(root, 'bin', 'vouch.js'), 'server',
    '--addr', `127.0.0.1:${port}`, '--storage', storage, '--workers', String(workers),
    '--tls-cert', join(certs, 'notary-server.crt'), '--tls-key', join(certs, 'notary-server.key')],
  { VOUCH_SERVER_KEY_SECRET: 'bench-secret-bench-secret' });
  await waitForPort('127.0.0.1', port as number);
  return {
    pid: child.pid,
    name: workers > 1 ? `vouch server (${workers} workers)` : 'vouch server',
    url: `https://127.0.0.1:${port}`,
    stop: async () => { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); },
  };
}

export async function fetchWithCa(url: string, ca: string): Promise<Buffer> {
  const r = await run('curl', ['-sS', '--fail', '--cacert', ca, '-o', '-', url]);
  if (r.code !== 0) throw new Error(`curl ${url}: ${r.stderr}`);
  return Buffer.from(r.stdout, 'latin1');
}
