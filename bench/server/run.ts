// vouch server vs Debian's notary-server, same machine, same run, same load generators:
// wrk for GETs of current and checksum-addressed metadata, and a Node publisher for publishes
// (targets signed by the client, snapshot and timestamp by the server). Storage: memory vs
// memory, PostgreSQL vs PostgreSQL (a private server each), and vouch's embedded default, SQLite,
// against notary-server on memory (notary-server has no embedded database; memory is its fastest).
// notary-server holds its keys in-process (trust_service local), as vouch does. Memory storage is
// private to one process, so vouch runs one process there; on SQLite and PostgreSQL it runs one
// worker per core (--workers), as Go's notary-server uses every core. Every URL is loaded for a
// few seconds before it is measured, on both servers, so a JIT's warm-up is not counted as
// throughput. Prints the ratios and the verdicts against the targets.
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { PEERS_PASSPHRASE, freePorts, startPeers, type Peers } from '../../test/support/peers.js';
import { projectRoot } from '../../test/support/paths.js';
import { ratio, run, table, wrk, type WrkResult } from '../lib.js';
import { publishLoad, type PublishLoadResult } from './publish-load.js';
import { fetchWithCa, seed, startVouch, type ServerUnderTest } from './servers.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PUBLISHERS = Number(process.env.BENCH_PUBLISHERS ?? 8);
const WRK_THREADS = Number(process.env.BENCH_WRK_THREADS ?? 2);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);

interface Measured { get: Record<string, WrkResult>; publish: PublishLoadResult }

async function measure(peers: Peers, srv: ServerUnderTest): Promise<Measured> {
  const trustDir = mkdtempSync(join(tmpdir(), 'vouch-bench-trust-'));
  const guns = Array.from({ length: PUBLISHERS }, (_, i) => `bench.example/repo${i}`);
  await seed(peers, srv.url, trustDir, guns);
  const base = `${srv.url}/v2/${guns[0]}/_trust/tuf`;
  const fetched = await fetchWithCa(`${base}/targets.json`, peers.ca);
  const sha = createHash('sha256').update(fetched).digest('hex');
  const get: Record<string, WrkResult> = {};
  const load = { threads: WRK_THREADS, connections: CONNECTIONS, seconds: SECONDS };
  for (const path of ['targets.json', `targets.${sha}.json`, 'timestamp.json']) await wrk(`${base}/${path}`, { ...load, seconds: WARMUP_SECONDS });
  get['targets.json (current)'] = await wrk(`${base}/targets.json`, load);
  get['targets.<sha256>.json'] = await wrk(`${base}/targets.${sha}.json`, load);
  get['timestamp.json'] = await wrk(`${base}/timestamp.json`, load);
  const publish = await publishLoad({ server: srv.url, ca: peers.ca, guns, trustDir, passphrase: PEERS_PASSPHRASE, seconds: SECONDS });
  return { get, publish };
}

type Storage = 'memory' | 'sqlite' | 'postgres';

async function compare(storage: Storage): Promise<string> {
  const peers = await startPeers({ notary: { storage: storage === 'sqlite' ? 'memory' : storage, trustService: 'local', keyAlgorithm: 'ecdsa' } });
  let vouch: ServerUnderTest | undefined;
  let pg: string | undefined;
  try {
    let vouchStorage = 'memory';
    if (storage === 'postgres') {
      pg = mkdtempSync(join(tmpdir(), 'vouch-bench-pg-'));
      const [pgPort] = await freePorts(1);
      const r = await run('bash', [join(projectRoot, 'scripts', 'postgres.sh'), 'start', pg, String(pgPort)]);
      if (r.code !== 0) throw new Error(`scripts/postgres.sh start: ${r.stderr}`);
      vouchStorage = r.stdout.trim().split('\n').pop() as string;
    }
    if (storage === 'sqlite') vouchStorage = `sqlite:${join(mkdtempSync(join(tmpdir(), 'vouch-bench-sqlite-')), 'trust.db')}`;
    const workers = storage === 'memory' ? 1 : cpus().length;
    vouch = await startVouch(peers, vouchStorage, workers);
    const theirs = await measure(peers, { name: 'notary-server', url: peers.notaryUrl as string, stop: async () => {} });
    const ours = await measure(peers, vouch);
    const rows = [['request', 'notary-server', vouch.name, 'ratio (throughput)', 'p99 notary', 'p99 vouch', 'target (>= 1.5x, p99 no worse)']];
    for (const k of Object.keys(theirs.get)) {
      const t = theirs.get[k] as WrkResult;
      const o = ours.get[k] as WrkResult;
      const met = o.requestsPerSec >= 1.5 * t.requestsPerSec && o.p99ms <= t.p99ms;
      rows.push([`GET ${k}`, `${t.requestsPerSec.toFixed(0)}/s`, `${o.requestsPerSec.toFixed(0)}/s`, ratio(o.requestsPerSec, t.requestsPerSec), `${t.p99ms.toFixed(2)} ms`, `${o.p99ms.toFixed(2)} ms`, met ? 'met' : 'MISSED']);
      if (t.non2xx || o.non2xx || t.errors || o.errors) rows.push([`  (non-2xx/errors: notary ${t.non2xx}/${t.errors}, vouch ${o.non2xx}/${o.errors})`]);
    }
    rows.push(['publish (targets)', `${theirs.publish.perSecond.toFixed(1)}/s`, `${ours.publish.perSecond.toFixed(1)}/s`, ratio(ours.publish.perSecond, theirs.publish.perSecond), '', '',
      ours.publish.perSecond >= theirs.publish.perSecond ? 'met (>= 1x)' : 'MISSED (>= 1x)']);
    if (theirs.publish.failures || ours.publish.failures) {
      rows.push([`  (failed publishes: notary ${theirs.publish.failures} ${theirs.publish.firstError ?? ''}; vouch ${ours.publish.failures} ${ours.publish.firstError ?? ''})`]);
    }
    const against = storage === 'sqlite' ? 'vouch on SQLite (the embedded default) vs notary-server on memory' : `storage: ${storage}`;
    return `${against}; ${SECONDS}s per measurement after ${WARMUP_SECONDS}s of warm-up, wrk -t${WRK_THREADS} -c${CONNECTIONS}, ${PUBLISHERS} publishers\n${table(rows)}`;
  } finally {
    await vouch?.stop();
    await peers.stop();
    if (pg) await run('bash', [join(projectRoot, 'scripts', 'postgres.sh'), 'stop', pg]);
  }
}

const which = process.argv[2] ?? 'all';
const all: Storage[] = ['memory', 'sqlite', 'postgres'];
const chosen = which === 'all' || which === 'both' ? all : all.filter((s) => s === which);
if (chosen.length === 0) throw new Error(`unknown storage '${which}' (memory, sqlite, postgres or all)`);
const reports: string[] = [];
for (const s of chosen) reports.push(await compare(s));
process.stdout.write(`\n== vouch server vs notary-server (${new Date().toISOString()}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}) ==\n\n${reports.join('\n\n')}\n`);
