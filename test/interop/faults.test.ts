// Faults, as an operator meets them: `vouch server` (its own process, `node bin/vouch.js server`)
// killed with SIGKILL while the real notary 0.7 client publishes to one repository from several
// trust directories at once (SQLite, and PostgreSQL on $VOUCH_TEST_POSTGRES_URL), and a private
// PostgreSQL cluster restarted (`pg_ctl restart -m fast`) under publish and read load, served by
// `--workers 2`. After every fault:
//   - no acknowledged publish is lost: a fresh client lists every tag whose `notary addhash -p` exited 0;
//   - no torn state: every timestamp the changefeed records is stored, and so are the snapshot and
//     targets it names; a fresh client verifies the current chain;
//   - the server is alive: a restart of the database ends no server process, and reads answer
//     200 or 503 with Retry-After, never 500;
//   - the first publish after recovery is acknowledged, with vouch.lock_wait_ms at 3 s: a write lock
//     left by the killed process that had to be waited out rather than broken would fail it (503).
// Each kill lands after the first publish of a round is committed, while the others are still in
// flight (and, a random 0-40 ms later, inside whichever publish the server handles then). Bounded:
// a few rounds of four publishers. Figures (in-flight publishes at each kill, leases the dead
// process left, recovery and first-publish times) are printed as test diagnostics, never asserted.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { projectRoot } from '../support/paths.js';
import { run, type RunResult } from '../support/peers.js';
import { freshSchema, type TestSchema } from '../support/postgres.js';
import { listed, need, notary, ok, rawRequest, setup, spawnServer, type Ctx, type SpawnedServer } from '../support/vouch-server.js';

const REPOSITORIES = 3;
/** Trust dirs publishing to each repository at once (copies of its owner's). */
const PUBLISHERS = 2;
/** Publishes per publisher per round at most: the load stops at the fault anyway. */
const MAX_PUBLISHES = 6;
const KILL_ROUNDS = 6;
const RESTARTS = 4;
const LOCK_WAIT_MS = 3000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const hexOf = (tag: string): string => createHash('sha256').update(tag).digest('hex');
const elapsed = (since: bigint): number => Math.round(Number(process.hrtime.bigint() - since) / 1e6);

/** Polls until `done()` (at most `ms`); says whether it came true. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(5)) if (done()) return true;
  return done();
}

interface Repo {
  gun: string;
  owner: string;
  publishers: string[];
  /** tag → sha256 of every acknowledged publish */
  acked: Map<string, string>;
}

/** Publishers keeping the server busy until `stop()`; `inFlight()` counts notary publishes running now. */
interface Load {
  inFlight(): number;
  acknowledged(): number;
  stop(): Promise<void>;
}

/** REPOSITORIES repositories, each published by its owner and PUBLISHERS copies of its trust dir, against servers started from one config. */
class Scenario {
  readonly repos: Repo[];
  private readonly servers: SpawnedServer[] = [];

  private constructor(private readonly ctx: Ctx, private readonly dir: string, private readonly config: string, name: string, private readonly args: string[]) {
    this.repos = Array.from({ length: REPOSITORIES }, (_, r) => ({
      gun: `registry.example.com/faults/${name}-${r}`,
      owner: join(dir, `owner-${r}`),
      publishers: Array.from({ length: PUBLISHERS }, (_, p) => join(dir, `publisher-${r}-${p}`)),
      acked: new Map<string, string>(),
    }));
  }

  static async create(ctx: Ctx, name: string, storage: string, args: string[] = []): Promise<Scenario> {
    const dir = await mkdtemp(join(ctx.dir, `${name}-`));
    const config = join(dir, 'server.json');
    await writeFile(config, JSON.stringify({
      server: { http_addr: '127.0.0.1:0', tls_cert_file: ctx.cert, tls_key_file: ctx.key },
      trust_service: { type: 'local', key_algorithm: 'ecdsa' },
      logging: { level: 'info' }, // "published" lines time the faults
      vouch: { storage, data_dir: join(dir, 'data'), key_secret: 'faults-key-secret', lock_wait_ms: LOCK_WAIT_MS },
    }));
    return new Scenario(ctx, dir, config, name, args);
  }

  async start(): Promise<SpawnedServer> {
    const server = await spawnServer(['--config', this.config, ...this.args], { HOME: this.dir });
    this.servers.push(server);
    return server;
  }

  /** Kills whatever server a failed test left running (its open pipes would keep the test process alive). */
  async cleanup(): Promise<void> {
    for (const s of this.servers) if (s.alive()) await s.kill();
  }

  /** notary init -p with a server-managed snapshot (as docker has it); the publishers start from the owner's trust dir. */
  async init(server: SpawnedServer): Promise<void> {
    for (const repo of this.repos) {
      const n = notary(this.ctx, server.url, repo.owner);
      ok(await n(['init', repo.gun, '-p']), 'notary init');
      ok(await n(['key', 'rotate', repo.gun, 'snapshot', '-r']), 'notary key rotate snapshot -r');
      for (const p of repo.publishers) await cp(repo.owner, p, { recursive: true });
    }
  }

  /** addhash + publish of one new tag from a trust dir; an exit 0 is an acknowledged publish. */
  async publish(server: SpawnedServer, repo: Repo, trustDir: string, tag: string): Promise<RunResult> {
    const r = await notary(this.ctx, server.url, trustDir)(['addhash', repo.gun, tag, '10', '--sha256', hexOf(tag), '-p']);
    if (r.code === 0) repo.acked.set(tag, hexOf(tag));
    return r;
  }

  /** Every publisher publishes new tags, one after another, until stopped (or MAX_PUBLISHES). */
  load(server: SpawnedServer, round: string): Load {
    let stopped = false;
    let running = 0;
    let acknowledged = 0;
    const loops = this.repos.flatMap((repo) => repo.publishers.map(async (dir, p) => {
      for (let n = 0; n < MAX_PUBLISHES && !stopped; n++) {
        running++;
        try {
          if ((await this.publish(server, repo, dir, `${round}-p${p}-${n}`)).code === 0) acknowledged++;
        } finally {
          running--;
        }
      }
    }));
    return {
      inFlight: () => running,
      acknowledged: () => acknowledged,
      stop: async () => { stopped = true; await Promise.all(loops); },
    };
  }

  /** The first publish after a recovery, one per repository at once: each must be acknowledged. Returns the slowest, ms. */
  async recoveredPublish(server: SpawnedServer, round: string): Promise<number> {
    const t0 = process.hrtime.bigint();
    await Promise.all(this.repos.map(async (repo) => {
      ok(await this.publish(server, repo, repo.owner, `${round}-recovered`), `the first publish to ${repo.gun} after recovery (${round})`);
    }));
    return elapsed(t0);
  }

  acknowledged(): number {
    return this.repos.reduce((n, r) => n + r.acked.size, 0);
  }

  /** No acknowledged publish lost, no torn state, a healthy server. */
  async verify(server: SpawnedServer): Promise<void> {
    const ca = await readFile(this.ctx.ca);
    const get = async (path: string): Promise<string> => {
      const r = await rawRequest(server.url, ca, 'GET', path);
      assert.equal(r.status, 200, `GET ${path}: ${r.status} ${r.body}`);
      return r.body;
    };
    assert.equal(await get('/_notary_server/health'), '{}');
    const metaSha = (doc: string, role: string): string => {
      const b64 = (JSON.parse(doc) as { signed: { meta: Record<string, { hashes: { sha256: string } }> } }).signed.meta[role]!.hashes.sha256;
      return Buffer.from(b64, 'base64').toString('hex');
    };
    for (const repo of this.repos) {
      const rows = listed(ok(await notary(this.ctx, server.url, join(this.dir, `fresh-${Date.now()}`))(['list', repo.gun]), 'notary list (fresh trust dir)'));
      for (const [tag, sha] of repo.acked) assert.equal(rows.get(tag)?.[0], sha, `the acknowledged publish of ${tag} to ${repo.gun} is listed`);
      // every timestamp ever committed came with the snapshot and targets it names
      const feed = JSON.parse(await get(`/v2/${repo.gun}/_trust/changefeed?records=1000&change_id=0`)) as { records: { Category: string; SHA256: string }[] };
      assert.ok(feed.records.length >= repo.acked.size, 'the changefeed records every acknowledged publish');
      for (const rec of feed.records.filter((r) => r.Category === 'update')) {
        const ts = await get(`/v2/${repo.gun}/_trust/tuf/timestamp.${rec.SHA256}.json`);
        const snapshot = await get(`/v2/${repo.gun}/_trust/tuf/snapshot.${metaSha(ts, 'snapshot')}.json`);
        await get(`/v2/${repo.gun}/_trust/tuf/targets.${metaSha(snapshot, 'targets')}.json`);
      }
    }
  }
}

/**
 * Waits until the load has committed 1 to 4 more publishes (at random), then for the next read of a
 * snapshot (the last thing `notary publish` fetches before it posts its update, some 10-40 ms
 * later), then 0-50 ms more: the fault lands amid the load, and often inside the server's handling
 * of a publish.
 */
async function amidLoad(server: SpawnedServer): Promise<void> {
  const target = publishedCount(server) + 1 + Math.floor(Math.random() * 4);
  await until(() => publishedCount(server) >= target, 30_000);
  const reads = snapshotReads(server);
  await until(() => snapshotReads(server) > reads, 5_000);
  await sleep(Math.random() * 50);
}

/** `published` log lines so far (one per committed publish). */
const publishedCount = (s: SpawnedServer): number => s.stdout().split('"msg":"published"').length - 1;
/** Answered GETs of a snapshot by checksum so far. */
const snapshotReads = (s: SpawnedServer): number => s.stdout().match(/"method":"GET","uri":"[^"]*\/snapshot\.[0-9a-f]{64}\.json"/g)?.length ?? 0;

/** Leases in a SQLite database's gun_locks (read-only; the killed process left the file as it was). */
function sqliteLeases(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM gun_locks').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Rounds of: start, (first publish after recovery), publish load, kill -9 amid the load. */
async function killRounds(t: TestContext, scenario: Scenario, sqliteFile?: string): Promise<void> {
  const figures: string[] = [];
  try {
    await killRoundsOn(scenario, figures, sqliteFile);
  } finally {
    await scenario.cleanup();
  }
  for (const f of figures) t.diagnostic(f);
}

async function killRoundsOn(scenario: Scenario, figures: string[], sqliteFile: string | undefined): Promise<void> {
  let server = await scenario.start();
  await scenario.init(server);
  for (let round = 1; round <= KILL_ROUNDS + 1; round++) {
    if (round > 1) {
      const t0 = process.hrtime.bigint();
      server = await scenario.start();
      const startMs = elapsed(t0);
      const leases = sqliteFile === undefined ? '' : `, ${sqliteLeases(sqliteFile)} leases of the dead process in gun_locks`;
      figures.push(`restart ${startMs} ms${leases}; first publishes after recovery ${await scenario.recoveredPublish(server, `k${round - 1}`)} ms`);
    }
    if (round > KILL_ROUNDS) break;
    const load = scenario.load(server, `k${round}`);
    await amidLoad(server);
    const inFlight = load.inFlight();
    await server.kill();
    await load.stop();
    figures.push(`kill ${round}: ${inFlight} publishes in flight, ${load.acknowledged()} acknowledged this round`);
  }
  try {
    await scenario.verify(server);
  } finally {
    assert.equal(await server.stop(), 0, 'a clean stop');
  }
  figures.push(`${scenario.acknowledged()} acknowledged publishes, all listed`);
}

describe('faults: vouch server survives kill -9 and PostgreSQL restarts, with the real notary client publishing', { concurrency: 1 }, () => {
  let ctx: Ctx;
  before(async () => {
    need('notary');
    ctx = await setup();
  });
  after(async () => { if (ctx) await rm(ctx.dir, { recursive: true, force: true }); });

  test('sqlite: kill -9 while publishers are in flight; restart; nothing acknowledged is lost, the next publish needs no lease to run out', { timeout: 120_000 }, async (t) => {
    const file = join(ctx.dir, 'sqlite', 'trust.db');
    await killRounds(t, await Scenario.create(ctx, 'sqlite', `sqlite:${file}`), file);
  });

  test('postgres: kill -9 while publishers are in flight; restart; nothing acknowledged is lost', { timeout: 120_000 }, async (t) => {
    let schema: TestSchema | undefined;
    try {
      schema = await freshSchema('vouch_faults');
      await killRounds(t, await Scenario.create(ctx, 'postgres', schema.url));
    } finally {
      await schema?.drop();
    }
  });

  test('postgres restarted mid-publish and under read load (--workers 2): no server process ends, reads get 200 or 503, nothing acknowledged is lost', { timeout: 120_000 }, async (t) => {
    const pgDir = await mkdtemp(join(tmpdir(), 'vouch-faults-pg-'));
    const postgres = (cmd: string): Promise<RunResult> => run('bash', [join(projectRoot, 'scripts', 'postgres.sh'), cmd, pgDir], { timeoutMs: 90_000 });
    let scenario: Scenario | undefined;
    try {
      const url = ok(await postgres('start'), 'postgres.sh start').trim().split('\n')[0]!;
      scenario = await Scenario.create(ctx, 'restart', url, ['--workers', '2']);
      const server = await scenario.start();
      await scenario.init(server);
      const ca = await readFile(ctx.ca);
      const figures: string[] = [];
      for (let round = 1; round <= RESTARTS; round++) {
        const s = server;
        const sc = scenario;
        const load = scenario.load(s, `r${round}`);
        // read load as long as the publishers run (bounded): every answer 200, or 503 with Retry-After
        const statuses = new Map<number, number>();
        const failures: string[] = [];
        let reading = true;
        const reads = (async () => {
          for (let i = 0; i < 400 && reading; i++) {
            const path = `/v2/${sc.repos[i % REPOSITORIES]!.gun}/_trust/tuf/${i % 2 ? 'timestamp' : 'targets'}.json`;
            try {
              const r = await rawRequest(s.url, ca, 'GET', path);
              statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
              if (r.status === 503 ? r.headers['retry-after'] === undefined : r.status !== 200) failures.push(`GET ${path}: ${r.status} ${r.headers['retry-after'] ?? ''} ${r.body}`);
            } catch (err) {
              failures.push(`GET ${path}: ${(err as Error).message}`);
            }
          }
        })();
        await amidLoad(s);
        const inFlight = load.inFlight();
        const t0 = process.hrtime.bigint();
        ok(await postgres('restart'), 'postgres.sh restart');
        const restartMs = elapsed(t0);
        await load.stop();
        reading = false;
        await reads;
        assert.deepEqual(failures, [], `every read during the restart is answered 200, or 503 with Retry-After\n${s.stderr()}`);
        assert.ok(s.alive(), 'the server is still running');
        assert.doesNotMatch(s.stderr(), /worker \d+ ended/, 'no worker process ended');
        const first = await scenario.recoveredPublish(s, `r${round}`);
        figures.push(`restart ${round}: ${inFlight} publishes in flight, ${load.acknowledged()} acknowledged this round; `
          + `pg_ctl restart ${restartMs} ms; reads ${[...statuses].map(([k, v]) => `${v}×${k}`).join(', ')}; first publishes after recovery ${first} ms`);
      }
      await scenario.verify(server);
      assert.doesNotMatch(server.stderr(), /worker \d+ ended/, 'no worker process ended');
      assert.equal(await server.stop(), 0, 'a clean stop');
      figures.push(`${scenario.acknowledged()} acknowledged publishes, all listed`);
      for (const f of figures) t.diagnostic(f);
    } finally {
      await scenario?.cleanup();
      await postgres('stop');
      await rm(pgDir, { recursive: true, force: true });
    }
  });
});
