// Where a GET of `vouch server` spends its CPU, against floors on the same machine in the same
// minute: a bare node:https server answering the same bytes with the same headers (Node's HTTP
// and TLS alone), the shared adapter (src/httpd/serve.ts) answering them from a constant handler,
// and `vouch server` on memory storage (this build, and BENCH_BASE's when set). The load is the
// server benchmark's (wrk -t2 -c32, 4.8 kB targets.json of 50 tags); the measure is CPU per request
// of the server process (user + sys from /proc/PID/stat), which a shared machine disturbs less
// than requests per second. Rounds alternate the servers; medians are printed.
//   node dist/bench/server/floor.js            (BENCH_ROUNDS, BENCH_SECONDS; BENCH_BASE=<checkout>)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { freePorts, startPeers } from '../../test/support/peers.js';
import { projectRoot } from '../../test/support/paths.js';
import { median, startProcess, table, waitForPort, wrk, type WrkResult } from '../lib.js';
import { fetchWithCa, seed, startVouch, type ServerUnderTest } from './servers.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const load = { threads: 2, connections: 32, seconds: SECONDS };

/** CPU seconds (user + sys) of a process so far; Linux only. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// The same answer as vouch's GET targets.json: body and headers (Node adds Date, Connection, Keep-Alive).
const BARE = `import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
const [port, cert, key, bodyFile] = process.argv.slice(1);
const body = readFileSync(bodyFile);
const headers = { 'cache-control': 'public, max-age=300, s-maxage=300, must-revalidate', 'last-modified': 'Wed, 02 Dec 2026 15:00:00 UTC', 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length };
createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => { res.writeHead(200, headers); res.end(body); }).listen(Number(port), '127.0.0.1');`;
const ADAPTER = `import { readFileSync } from 'node:fs';
const [port, cert, key, bodyFile, root] = process.argv.slice(1);
const { serve } = await import(root + '/dist/src/httpd/index.js');
const body = readFileSync(bodyFile);
const headers = { 'cache-control': 'public, max-age=300, s-maxage=300, must-revalidate', 'last-modified': 'Wed, 02 Dec 2026 15:00:00 UTC', 'content-type': 'text/plain; charset=utf-8' };
const s = serve(async () => ({ status: 200, headers: { ...headers }, body }), { tls: { cert: readFileSync(cert), key: readFileSync(key) }, closing: () => ({ status: 503 }), onError: () => {} });
await s.listen({ host: '127.0.0.1', port: Number(port) });`;

async function startScript(name: string, code: string, args: string[]): Promise<ServerUnderTest> {
  const [port] = await freePorts(1);
  const child: ChildProcess = startProcess(process.execPath, ['--input-type=module', '-e', code, String(port), ...args]);
  await waitForPort('127.0.0.1', port as number);
  return { name, url: `https://127.0.0.1:${port}`, pid: child.pid, stop: async () => { child.kill('SIGTERM'); await new Promise((r) => child.once('exit', r)); } };
}

const peers = await startPeers({ notary: { storage: 'memory', trustService: 'local', keyAlgorithm: 'ecdsa' } });
const servers: ServerUnderTest[] = [];
try {
  const gun = 'bench.example/repo0';
  const targets: { srv: ServerUnderTest; url: string }[] = [];
  const vouchBuilds: [string, string][] = [['vouch server', projectRoot]];
  if (process.env.BENCH_BASE) vouchBuilds.push(['vouch server (base)', process.env.BENCH_BASE]);
  let body: Buffer | undefined;
  for (const [name, root] of vouchBuilds) {
    const srv = { ...(await startVouch(peers, 'memory', 1, root)), name };
    servers.push(srv);
    await seed(peers, srv.url, mkdtempSync(join(tmpdir(), 'vouch-bench-trust-')), [gun]);
    targets.push({ srv, url: `${srv.url}/v2/${gun}/_trust/tuf/targets.json` });
    body ??= await fetchWithCa(targets[0]!.url, peers.ca);
  }
  const bodyFile = join(mkdtempSync(join(tmpdir(), 'vouch-bench-floor-')), 'targets.json');
  writeFileSync(bodyFile, body!);
  const certs = join(peers.dir, 'certs');
  const tls = [join(certs, 'notary-server.crt'), join(certs, 'notary-server.key'), bodyFile];
  for (const [name, code, extra] of [['node:https, same answer', BARE, []], ['adapter, constant handler', ADAPTER, [projectRoot]]] as const) {
    const srv = await startScript(name, code, [...tls, ...extra]);
    servers.push(srv);
    targets.unshift({ srv, url: `${srv.url}/v2/${gun}/_trust/tuf/targets.json` });
  }
  for (const t of targets) await wrk(t.url, { ...load, seconds: 3 });
  const results = new Map<string, { rps: number[]; cpuUs: number[]; p99: number[] }>(targets.map((t) => [t.srv.name, { rps: [], cpuUs: [], p99: [] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
      const before = cpuSeconds(t.srv.pid!);
      const w: WrkResult = await wrk(t.url, load);
      const used = cpuSeconds(t.srv.pid!) - before;
      if (w.non2xx || w.errors) throw new Error(`${t.srv.name}: ${w.non2xx} non-2xx, ${w.errors} errors`);
      const m = results.get(t.srv.name)!;
      m.rps.push(w.requestsPerSec);
      m.cpuUs.push((used * 1e6) / (w.requestsPerSec * SECONDS));
      m.p99.push(w.p99ms);
    }
  }
  const rows = [['GET targets.json (4.8 kB), memory', 'CPU per request (median)', 'range', 'requests/s (median)', 'p99 (median)']];
  for (const [name, m] of results) {
    rows.push([name, `${median(m.cpuUs).toFixed(1)} µs`, `${Math.min(...m.cpuUs).toFixed(0)}–${Math.max(...m.cpuUs).toFixed(0)} µs`, `${median(m.rps).toFixed(0)}/s`, `${median(m.p99).toFixed(2)} ms`]);
  }
  process.stdout.write(`\n== vouch server's GET against its floors (${new Date().toISOString()}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${ROUNDS} rounds of ${SECONDS} s, wrk -t2 -c32) ==\n\n${table(rows)}\n`);
} finally {
  for (const s of servers) await s.stop();
  await peers.stop();
}
