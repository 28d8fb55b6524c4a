// CPU per request of `vouch server`'s handler alone (no socket, no TLS): GETs of current,
// checksum-addressed and timestamp metadata on the memory store, a targets file of 50 tags, the
// request log at `info` to /dev/null as a served process writes it. What a change to the GET path
// buys shows here without the noise of a loaded machine's TLS and scheduling (bench/server/run.ts
// measures the whole server against notary-server).
//   node dist/bench/server/handler.js [requests per run, default 20000]
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import pino from 'pino';
import { RequestBody } from '../../src/httpd/index.js';
import { addTargets, dockerTarget, newVersion } from '../../src/tuf/index.js';
import { TestRepo, newServer, post } from '../../test/unit/server/helpers.js';

const N = Number(process.argv[2] ?? 20_000);
const RUNS = 5;
const gun = 'bench.example/repo0';
const t = newServer({ logger: pino({ level: 'info' }, pino.destination('/dev/null')) });
const repo = await TestRepo.create(t, gun);
const now = t.clock.now();
const init = await post(t.app, gun, await repo.initParts(now));
if (init.statusCode !== 200) throw new Error(`init: ${init.body}`);
for (let i = 0; i < 50; i++) repo.targets = addTargets(repo.targets, { [`v${i}`]: dockerTarget(createHash('sha256').update(String(i)).digest(), 1234) });
repo.targets = newVersion(repo.targets, now);
const targets = await repo.targetsBytes();
const published = await post(t.app, gun, [{ filename: 'targets', data: targets }, { filename: 'snapshot', data: await repo.snapshotBytes(now) }]);
if (published.statusCode !== 200) throw new Error(`publish: ${published.body}`);

const request = (url: string) => ({ method: 'GET', url, headers: {}, body: new RequestBody({}, Readable.from([])) });
const sha = createHash('sha256').update(targets).digest('hex');
const rows: string[] = [];
for (const [what, file] of [['targets.json (current)', 'targets.json'], ['targets.<sha256>.json', `targets.${sha}.json`], ['timestamp.json', 'timestamp.json']] as const) {
  const url = `/v2/${gun}/_trust/tuf/${file}`;
  const first = await t.app.handle(request(url));
  if (first.status !== 200) throw new Error(`${url}: ${first.status}`);
  for (let i = 0; i < 2000; i++) await t.app.handle(request(url));
  const perRequest: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const before = process.cpuUsage();
    for (let i = 0; i < N; i++) await t.app.handle(request(url));
    const used = process.cpuUsage(before);
    perRequest.push((used.user + used.system) / N);
  }
  perRequest.sort((a, b) => a - b);
  rows.push(`GET ${what.padEnd(24)} ${perRequest[Math.floor(RUNS / 2)]!.toFixed(2)} µs CPU per request (median of ${RUNS} × ${N}; min ${perRequest[0]!.toFixed(2)})`);
}
process.stdout.write(`\n== vouch server's handler, in-process ==\n${rows.join('\n')}\n`);
