// vouch admission: a Pod with 8 containers whose images are in a local registry (vouch registry),
// signed in a local trust server (vouch server) by 3 signers, under a policy that needs 2 of the 3.
//  - cold: a fresh webhook each time (no verdict cache, no trust data cache): one review, end to end
//    over HTTPS, including every trust-server round trip;
//  - warm: one webhook, verdicts cached; wrk POSTs the same review over keep-alive HTTPS (p50, p99,
//    requests/s on this machine's cores, shared with wrk and the servers).
// Timings belong here, never in tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdmission, type RunningAdmission } from '../../src/admission/index.js';
import { writeDemoImage } from '../../src/cli/demoimage.js';
import { TrustDir } from '../../src/keys/index.js';
import { parsePolicy } from '../../src/policy/validate.js';
import { startLocalStack, vouchUser } from '../../test/unit/client/helpers.js';
import { projectRoot } from '../../test/support/paths.js';
import { parseWrk, run, table } from '../lib.js';

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 20);
const WARM_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONTAINERS = 8;
const RATE = Number(process.env.BENCH_RATE ?? 200);

const work = mkdtempSync(join(tmpdir(), 'vouch-bench-admission-'));
const { server, registry } = await startLocalStack(work);
try {
  const repo = `${registry.host}/bench/app`;
  const owner = await vouchUser(server.url);
  const signers = ['alice', 'bob', 'carol'];
  const users = await Promise.all(signers.map(() => vouchUser(server.url)));
  process.stderr.write(`pushing ${CONTAINERS} images to ${repo}, each signed by ${signers.join(', ')}…\n`);
  for (const [i, name] of signers.entries()) {
    await users[i]!.ok(['trust', 'key', 'generate', name, '--dir', users[i]!.dir]);
    await owner.ok(['trust', 'signer', 'add', '--key', join(users[i]!.dir, `${name}.pub`), name, repo]);
  }
  for (let c = 0; c < CONTAINERS; c++) {
    await writeDemoImage(join(work, `img${c}`), '1.0', `bench image ${c}\n`);
    await owner.ok(['push', `${repo}:v${c}`, '--from', `oci:${join(work, `img${c}`)}`, '--disable-content-trust']);
    for (const [i] of signers.entries()) await users[i]!.ok(['trust', 'sign', `${repo}:v${c}`]);
  }
  const policy = parsePolicy(`version: 1\nrules:\n  - name: bench\n    repositories: ["${registry.host}/bench/*"]\n    signers: [alice, bob, carol]\n    threshold: 2\n`, 'bench-policy.yaml');
  const key = join(work, 'tls.key');
  const cert = join(work, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const tls = { cert: readFileSync(cert), key: readFileSync(key) };
  const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {
    uid: 'b0b0b0b0-0000-4000-8000-000000000001', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' },
    name: 'bench', namespace: 'bench', operation: 'CREATE', userInfo: { username: 'kubernetes-admin' }, oldObject: null, dryRun: false,
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bench' }, spec: { containers: Array.from({ length: CONTAINERS }, (_, c) => ({ name: `c${c}`, image: `${repo}:v${c}` })) } },
  } });
  const env = { DOCKER_CONTENT_TRUST_SERVER: server.url, DOCKER_CONFIG: owner.config };
  const start = (n: number): Promise<RunningAdmission> => runAdmission({ addr: '127.0.0.1:0', tls, policy, env, trustDir: new TrustDir(join(work, `trust-${n}`)), logger: false });
  const post = (url: string): Promise<{ ms: number; allowed: boolean }> => new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request(`${url}/validate?timeout=10s`, { method: 'POST', ca: tls.cert, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const a = JSON.parse(Buffer.concat(chunks).toString()) as { response: { allowed: boolean } };
        resolve({ ms, allowed: a.response.allowed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });

  const cold: number[] = [];
  for (let n = 0; n < COLD_RUNS; n++) {
    const w = await start(n);
    const r = await post(w.url);
    if (!r.allowed) throw new Error('the bench review was denied');
    cold.push(r.ms);
    await w.close();
  }
  const sorted = [...cold].sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

  const warmHook = await start(COLD_RUNS);
  await post(warmHook.url);
  const bodyFile = join(work, 'review.json');
  writeFileSync(bodyFile, body);
  const script = join(work, 'post.lua');
  writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nlocal f = io.open("${bodyFile}", "rb")\nwrk.body = f:read("*a")\nf:close()\n`);
  // 200 reviews/s sustained, from a separate process, open loop.
  const paced = await run(process.execPath, [join(projectRoot, 'dist', 'bench', 'admission', 'paced.js'), `${warmHook.url}/validate?timeout=10s`, bodyFile, cert, String(RATE), String(WARM_SECONDS)], { timeoutMs: (WARM_SECONDS + 60) * 1000 });
  if (paced.code !== 0) throw new Error(`paced load failed: ${paced.stderr}`);
  const sustained = JSON.parse(paced.stdout) as { sent: number; ok: number; failed: number; seconds: number; p50: number; p99: number; max: number; over10ms: number; over100ms: number };
  // The handler's own time for those reviews (the histogram the webhook exports), apart from the network and the scheduler.
  const exported = warmHook.webhook.metrics.render(warmHook.webhook.cache.stats, { rss: 0, heapUsed: 0 });
  const bucket = (le: string): number => Number(new RegExp(`vouch_admission_request_duration_seconds_bucket\\{webhook="validate",le="${le.replace(/[.+]/g, '\\$&')}"\\} (\\d+)`).exec(exported)?.[1]);
  const handled = { within1ms: bucket('0.001'), within10ms: bucket('0.01'), total: bucket('+Inf') };
  const out = await run('wrk', ['-t1', '-c8', `-d${WARM_SECONDS}s`, '--latency', '-s', script, `${warmHook.url}/validate?timeout=10s`], { timeoutMs: (WARM_SECONDS + 30) * 1000 });
  if (out.code !== 0) throw new Error(`wrk failed: ${out.stderr}`);
  const warm = parseWrk(out.stdout);
  const stats = warmHook.webhook.cache.stats;
  await warmHook.close();
  process.stdout.write(`\nvouch admission: Pod with ${CONTAINERS} containers, policy 2 of 3 DCT signers, vouch server + vouch registry on loopback (${COLD_RUNS} cold runs, ${WARM_SECONDS} s warm)\n`);
  process.stdout.write(`${table([
    ['', 'p50', 'p99', 'requests/s'],
    ['cold (nothing cached)', `${pct(50).toFixed(1)} ms`, `${pct(99).toFixed(1)} ms`, ''],
    [`warm, ${RATE} reviews/s sustained`, `${sustained.p50.toFixed(2)} ms`, `${sustained.p99.toFixed(2)} ms`, (sustained.ok / sustained.seconds).toFixed(0)],
    ['warm, saturated (wrk -c8)', `${warm.p50ms.toFixed(2)} ms`, `${warm.p99ms.toFixed(2)} ms`, warm.requestsPerSec.toFixed(0)],
  ])}\n`);
  process.stdout.write(`sustained: handler time ≤ 1 ms for ${handled.within1ms} and ≤ 10 ms for ${handled.within10ms} of ${handled.total} reviews; ${sustained.ok} of ${sustained.sent} answered 200, ${sustained.failed} failed, ${sustained.over10ms} over 10 ms, ${sustained.over100ms} over 100 ms, max ${sustained.max.toFixed(1)} ms; saturated: non-2xx ${warm.non2xx}, socket errors ${warm.errors}; cache hits ${stats.hits}, misses ${stats.misses}\n`);
} finally {
  await server.close();
  await registry.close();
  rmSync(work, { recursive: true, force: true });
}
