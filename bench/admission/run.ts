// vouch admission: a Pod with 8 containers whose images are in a local registry (vouch registry),
// signed by 3 signers, under a policy that needs 2 of the 3; two cases: 3 DCT signers in a local
// trust server (vouch server), and 3 signers of mixed kinds (a DCT delegation in vouch server, a
// Notation identity and a cosign key, whose signatures are in the registry).
//  - cold: a fresh webhook each time (no verdict cache, no trust data cache): one review, end to end
//    over HTTPS, including every trust-server and registry round trip;
//  - warm: one webhook, verdicts cached; wrk POSTs the same review over keep-alive HTTPS (p50, p99,
//    requests/s on this machine's cores, shared with wrk and the servers).
// BENCH_ADMISSION_CASES=dct,mixed picks the cases (default both). Timings belong here, never in tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdmission, type RunningAdmission } from '../../src/admission/index.js';
import { writeDemoImage } from '../../src/cli/demoimage.js';
import { TrustDir } from '../../src/keys/index.js';
import type { Policy } from '../../src/policy/index.js';
import { parsePolicy } from '../../src/policy/validate.js';
import { startLocalStack, vouchUser, type VouchUser } from '../../test/unit/client/helpers.js';
import { globalPolicy, issueSigningLeaf, makeNotationHome, makeRootCa } from '../../test/support/notation.js';
import { projectRoot } from '../../test/support/paths.js';
import { parseWrk, run, table } from '../lib.js';

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 20);
const WARM_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONTAINERS = 8;
const RATE = Number(process.env.BENCH_RATE ?? 200);

const CASES = (process.env.BENCH_ADMISSION_CASES ?? 'dct,mixed').split(',');

const work = mkdtempSync(join(tmpdir(), 'vouch-bench-admission-'));
const { server, registry } = await startLocalStack(work);
try {
  const owner = await vouchUser(server.url, { env: { COSIGN_PASSWORD: 'bench' } });
  const key = join(work, 'tls.key');
  const cert = join(work, 'tls.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const tls = { cert: readFileSync(cert), key: readFileSync(key) };

  /** DCT signers `names`, each a delegation of `repo` with a key of its own. */
  const dctSigners = async (repo: string, names: string[]): Promise<VouchUser[]> => {
    const users = await Promise.all(names.map(() => vouchUser(server.url)));
    for (const [i, name] of names.entries()) {
      await users[i]!.ok(['trust', 'key', 'generate', name, '--dir', users[i]!.dir]);
      await owner.ok(['trust', 'signer', 'add', '--key', join(users[i]!.dir, `${name}.pub`), name, repo]);
    }
    return users;
  };
  /** Pushes the CONTAINERS images of `repo` (tags v0…v7) and has `sign` sign each. */
  const pushAll = async (repo: string, sign: (ref: string) => Promise<void>): Promise<void> => {
    for (let c = 0; c < CONTAINERS; c++) {
      const layout = join(work, `img-${repo.replaceAll(/[^a-z0-9]/g, '-')}-${c}`);
      await writeDemoImage(layout, '1.0', `bench image ${repo} ${c}\n`);
      await owner.ok(['push', `${repo}:v${c}`, '--from', `oci:${layout}`, '--disable-content-trust']);
      await sign(`${repo}:v${c}`);
    }
  };

  if (CASES.includes('dct')) {
    const repo = `${registry.host}/bench/app`;
    const signers = ['alice', 'bob', 'carol'];
    process.stderr.write(`pushing ${CONTAINERS} images to ${repo}, each signed by ${signers.join(', ')}…\n`);
    const users = await dctSigners(repo, signers);
    await pushAll(repo, async (ref) => { for (const u of users) await u.ok(['trust', 'sign', ref]); });
    const policy = parsePolicy(`version: 1\nrules:\n  - name: bench\n    repositories: ["${registry.host}/bench/*"]\n    signers: [alice, bob, carol]\n    threshold: 2\n`, 'bench-policy.yaml');
    await measure('policy 2 of 3 DCT signers, vouch server + vouch registry', repo, policy);
  }

  if (CASES.includes('mixed')) {
    // release-bot (DCT), ci (Notation: a code-signing leaf under a CA in notation's trust store
    // ca:acme, signed with vouch notation sign) and security (a cosign key, vouch cosign sign).
    const repo = `${registry.host}/mixed/app`;
    process.stderr.write(`pushing ${CONTAINERS} images to ${repo}, each signed with DCT, Notation and cosign…\n`);
    const [bot] = await dctSigners(repo, ['release-bot']) as [VouchUser];
    const pki = join(work, 'pki');
    await makeRootCa(pki, 'acme-root', '/C=US/ST=WA/O=Acme/CN=Acme Root');
    const leaf = await issueSigningLeaf(pki, 'acme-root', 'ci', 'ec-256', '/C=US/ST=WA/O=Acme/CN=ci');
    await makeNotationHome(join(work, 'notation-home'), { trustStores: { acme: [join(pki, 'acme-root.crt')] }, policy: globalPolicy('strict', ['ca:acme'], ['*']) });
    await owner.ok(['cosign', 'generate-key-pair', '--output-key-prefix', 'security']);
    await pushAll(repo, async (ref) => {
      await bot.ok(['trust', 'sign', ref]);
      await owner.ok(['notation', 'sign', ref, '--key', leaf.key, '--cert', leaf.chain]);
      await owner.ok(['cosign', 'sign', '--key', 'security.key', '--tlog-upload=false', ref]);
    });
    const policy = parsePolicy(`version: 1
signers:
  release-bot: { dct: release-bot }
  ci: { notation: { trustStore: "ca:acme", identities: ["x509.subject: C=US, ST=WA, O=Acme, CN=ci"], level: strict, trustStoreDir: "${join(work, 'notation-home', 'config', 'notation')}" } }
  security: { cosign: { key: "${join(owner.dir, 'security.pub')}" } }
rules:
  - name: bench
    repositories: ["${registry.host}/mixed/*"]
    signers: [release-bot, ci, security]
    threshold: 2
`, 'bench-mixed-policy.yaml');
    await measure('policy 2 of 3 signers of mixed kinds (DCT in vouch server, Notation, cosign), vouch registry', repo, policy);
  }

  async function measure(what: string, repo: string, policy: Policy): Promise<void> {
    const tag = repo.split('/').slice(1).join('-');
    const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {
      uid: 'b0b0b0b0-0000-4000-8000-000000000001', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'bench', namespace: 'bench', operation: 'CREATE', userInfo: { username: 'kubernetes-admin' }, oldObject: null, dryRun: false,
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bench' }, spec: { containers: Array.from({ length: CONTAINERS }, (_, c) => ({ name: `c${c}`, image: `${repo}:v${c}` })) } },
    } });
    const env = { DOCKER_CONTENT_TRUST_SERVER: server.url, DOCKER_CONFIG: owner.config };
    const start = (n: number): Promise<RunningAdmission> => runAdmission({ addr: '127.0.0.1:0', tls, policy, env, trustDir: new TrustDir(join(work, `trust-${tag}-${n}`)), logger: false });
    const post = (url: string): Promise<{ ms: number; allowed: boolean; message?: string }> => new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const req = request(`${url}/validate?timeout=10s`, { method: 'POST', ca: tls.cert, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          const a = JSON.parse(Buffer.concat(chunks).toString()) as { response: { allowed: boolean; status?: { message: string } } };
          resolve({ ms, allowed: a.response.allowed, ...(a.response.status !== undefined ? { message: a.response.status.message } : {}) });
        });
      });
      req.on('error', reject);
      req.end(body);
    });

    const load0 = loadavg()[0] as number;
    const cold: number[] = [];
    for (let n = 0; n < COLD_RUNS; n++) {
      const w = await start(n);
      const r = await post(w.url);
      if (!r.allowed) throw new Error(`the bench review was denied: ${r.message ?? ''}`);
      cold.push(r.ms);
      await w.close();
    }
    const sorted = [...cold].sort((a, b) => a - b);
    const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

    const warmHook = await start(COLD_RUNS);
    await post(warmHook.url);
    const bodyFile = join(work, `review-${tag}.json`);
    writeFileSync(bodyFile, body);
    const script = join(work, `post-${tag}.lua`);
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
    const load1 = loadavg()[0] as number;
    process.stdout.write(`\nvouch admission: Pod with ${CONTAINERS} containers, ${what} on loopback (${COLD_RUNS} cold runs, ${WARM_SECONDS} s warm)\n`);
    process.stdout.write(`${table([
      ['', 'p50', 'p99', 'requests/s'],
      ['cold (nothing cached)', `${pct(50).toFixed(1)} ms`, `${pct(99).toFixed(1)} ms`, ''],
      [`warm, ${RATE} reviews/s sustained`, `${sustained.p50.toFixed(2)} ms`, `${sustained.p99.toFixed(2)} ms`, (sustained.ok / sustained.seconds).toFixed(0)],
      ['warm, saturated (wrk -c8)', `${warm.p50ms.toFixed(2)} ms`, `${warm.p99ms.toFixed(2)} ms`, warm.requestsPerSec.toFixed(0)],
    ])}\n`);
    process.stdout.write(`sustained: handler time ≤ 1 ms for ${handled.within1ms} and ≤ 10 ms for ${handled.within10ms} of ${handled.total} reviews; ${sustained.ok} of ${sustained.sent} answered 200, ${sustained.failed} failed, ${sustained.over10ms} over 10 ms, ${sustained.over100ms} over 100 ms, max ${sustained.max.toFixed(1)} ms; saturated: non-2xx ${warm.non2xx}, socket errors ${warm.errors}; cache hits ${stats.hits}, misses ${stats.misses}; load average ${load0.toFixed(2)} before, ${load1.toFixed(2)} after\n`);
  }
} finally {
  await server.close();
  await registry.close();
  rmSync(work, { recursive: true, force: true });
}
