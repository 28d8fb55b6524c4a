// vouch server vs Debian's notary-server, same machine, same run, same load generators:
// wrk for GETs of current and checksum-addressed metadata, and a Node publisher for publishes
// (targets signed by the client, snapshot and timestamp by the server). Storage: memory vs
// memory, PostgreSQL vs PostgreSQL (a private server each), and vouch's embedded default, SQLite,
// against notary-server on memory (notary-server has no embedded database; memory is its fastest).
// notary-server holds its keys in-process (trust_service local), as vouch does. Memory storage is
// private to one process, so vouch runs one process there; on SQLite and PostgreSQL it runs one
// worker per core (--workers), as Go's notary-server uses every core. Every URL is loaded for a
// few seconds before it is measured, on both servers, so a JIT's warm-up is not counted as
// throughput; then BENCH_ROUNDS rounds (default 3) measure each request on one server and the
// other in turn, and the median round counts. Prints the ratios, every round, and the verdicts
// against the issue's targets.
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

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const GETS = ['targets.json (current)', 'targets.<sha256>.json', 'timestamp.json'] as const;

interface Prepared { srv: ServerUnderTest; urls: Record<(typeof GETS)[number], string>; guns: string[]; trustDir: string }

/** Seeds a server and warms every URL up (a JIT's warm-up is not throughput). */
async function prepare(peers: Peers, srv: ServerUnderTest): Promise<Prepared> {
  const trustDir = mkdtempSync(join(tmpdir(), 'vouch-bench-trust-'));
  // The first repository is read (50 tags); the others are published to, so every round reads the same file.
  const guns = ['bench.example/read', ...Array.from({ length: PUBLISHERS }, (_, i) => `bench.example/repo${i}`)];
  await seed(peers, srv.url, trustDir, guns);
  const base = `${srv.url}/v2/${guns[0]}/_trust/tuf`;
  const fetched = await fetchWithCa(`${base}/targets.json`, peers.ca);
  const sha = createHash('sha256').update(fetched).digest('hex');
  const urls = { 'targets.json (current)': `${base}/targets.json`, 'targets.<sha256>.json': `${base}/targets.${sha}.json`, 'timestamp.json': `${base}/timestamp.json` };
  for (const url of Object.values(urls)) await wrk(url, { threads: WRK_THREADS, connections: CONNECTIONS, seconds: WARMUP_SECONDS });
  return { srv, urls, guns: guns.slice(1), trustDir };
}

/** The round whose throughput is the median of the rounds (its p99 comes with it). */
function medianRound(rs: WrkResult[]): WrkResult {
  const sorted = [...rs].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)] as WrkResult;
}

interface Measured { get: Record<string, WrkResult>; perRound: Record<string, number[]>; publish: PublishLoadResult; publishRounds: number[] }

/**
 * ROUNDS rounds, each measuring every request on one server and then the other (publishes too),
 * so both see the same machine: on 2 shared cores a single pass swings by ±30 % from one minute to
 * the next. Each figure is the median round.
 */
async function measureInterleaved(peers: Peers, servers: readonly [ServerUnderTest, ServerUnderTest]): Promise<[Measured, Measured]> {
  const prepared = [await prepare(peers, servers[0]), await prepare(peers, servers[1])];
  const load = { threads: WRK_THREADS, connections: CONNECTIONS, seconds: SECONDS };
  const rounds = prepared.map(() => ({ get: Object.fromEntries(GETS.map((g) => [g, [] as WrkResult[]])), publish: [] as PublishLoadResult[] }));
  for (let r = 0; r < ROUNDS; r++) {
    for (const g of GETS) {
      for (const [i, p] of prepared.entries()) rounds[i]!.get[g]!.push(await wrk(p.urls[g], load));
    }
    for (const [i, p] of prepared.entries()) {
      rounds[i]!.publish.push(await publishLoad({ server: p.srv.url, ca: peers.ca, guns: p.guns, trustDir: p.trustDir, passphrase: PEERS_PASSPHRASE, seconds: SECONDS }));
    }
  }
  const summary = (i: number): Measured => {
    const got = rounds[i]!;
    const publish = [...got.publish].sort((a, b) => a.perSecond - b.perSecond)[Math.floor((got.publish.length - 1) / 2)] as PublishLoadResult;
    return {
      get: Object.fromEntries(GETS.map((g) => [g, medianRound(got.get[g]!)])),
      perRound: Object.fromEntries(GETS.map((g) => [g, got.get[g]!.map((w) => w.requestsPerSec)])),
      publish,
      publishRounds: got.publish.map((x) => x.perSecond),
    };
  };
  return [summary(0), summary(1)];
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
    const [theirs, ours] = await measureInterleaved(peers, [{ name: 'notary-server', url: peers.notaryUrl as string, stop: async () => {} }, vouch]);
    const rows = [['request', 'notary-server', vouch.name, 'ratio (throughput)', 'p99 notary', 'p99 vouch', 'target (>= 1.5x, p99 no worse)']];
    for (const k of Object.keys(theirs.get)) {
      const t = theirs.get[k] as WrkResult;
      const o = ours.get[k] as WrkResult;
      const met = o.requestsPerSec >= 1.5 * t.requestsPerSec && o.p99ms <= t.p99ms;
      rows.push([`GET ${k}`, `${t.requestsPerSec.toFixed(0)}/s`, `${o.requestsPerSec.toFixed(0)}/s`, ratio(o.requestsPerSec, t.requestsPerSec), `${t.p99ms.toFixed(2)} ms`, `${o.p99ms.toFixed(2)} ms`, met ? 'met' : 'MISSED']);
      if (t.non2xx || o.non2xx || t.errors || o.errors) rows.push([`  (non-2xx/errors: notary ${t.non2xx}/${t.errors}, vouch ${o.non2xx}/${o.errors})`]);
      rows.push([`  rounds (notary/vouch): ${(theirs.perRound[k] ?? []).map((n, i) => `${n.toFixed(0)}/${(ours.perRound[k]?.[i] ?? 0).toFixed(0)}`).join('  ')}`]);
    }
    rows.push(['publish (targets)', `${theirs.publish.perSecond.toFixed(1)}/s`, `${ours.publish.perSecond.toFixed(1)}/s`, ratio(ours.publish.perSecond, theirs.publish.perSecond), '', '',
      ours.publish.perSecond >= theirs.publish.perSecond ? 'met (>= 1x)' : 'MISSED (>= 1x)']);
    rows.push([`  rounds (notary/vouch): ${theirs.publishRounds.map((n, i) => `${n.toFixed(1)}/${(ours.publishRounds[i] ?? 0).toFixed(1)}`).join('  ')}`]);
    if (theirs.publish.failures || ours.publish.failures) {
      rows.push([`  (failed publishes: notary ${theirs.publish.failures} ${theirs.publish.firstError ?? ''}; vouch ${ours.publish.failures} ${ours.publish.firstError ?? ''})`]);
    }
    const against = storage === 'sqlite' ? 'vouch on SQLite (the embedded default) vs notary-server on memory' : `storage: ${storage}`;
    return `${against}; median of ${ROUNDS} interleaved rounds of ${SECONDS}s per measurement after ${WARMUP_SECONDS}s of warm-up, wrk -t${WRK_THREADS} -c${CONNECTIONS}, ${PUBLISHERS} publishers\n${table(rows)}`;
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
