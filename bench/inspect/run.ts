// Benchmark: cold `vouch trust inspect` vs cold `notary list` of the same repository on the same
// real notary-server, in the same run. The repository has 10,000 signed tags (all in
// targets/releases) and 20 signers, each signer holding the tags i ≡ s or s+7 (mod 20) — so
// 21 delegation files plus targets. "Cold" = an empty trust dir for every run (TOFU, every file
// downloaded and verified). Runs are interleaved; medians are compared. Target: ≤ 0.5×.
//
//   node dist/bench/inspect/run.js [--tags N] [--signers N] [--runs N]
//   BENCH_BASE=/path/to/old/checkout node dist/bench/inspect/run.js  # also inspects with that build, every round
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrustDir, fixedPassphrase, generateKey, type PrivateKey } from '../../src/keys/index.js';
import { RELEASES_ROLE, addDelegation, addTargets, dockerTarget, type FileMeta } from '../../src/tuf/index.js';
import { RepoHandle } from '../../src/client/repo.js';
import { Draft } from '../../src/client/publish.js';
import { Session } from '../../src/client/session.js';
import { parseReference } from '../../src/oci/reference.js';
import { sha256 } from '../../src/core/index.js';
import { startPeers } from '../../test/support/peers.js';
import { median, timed } from '../lib.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const TAGS = arg('tags', 10_000);
const SIGNERS = arg('signers', 20);
const RUNS = arg('runs', 7);
const PASS = 'bench-passphrase-1';
const here = fileURLToPath(new URL('.', import.meta.url));
// dist/bench/inspect (built) or bench/inspect (tsx): the launcher runs the built CLI either way
const vouchBin = [resolve(here, '..', '..', '..', 'bin', 'vouch.js'), resolve(here, '..', '..', 'bin', 'vouch.js')].find((p) => existsSync(p)) ?? 'bin/vouch.js';

async function main(): Promise<void> {
  process.stdout.write(`inspect benchmark: ${TAGS} tags, ${SIGNERS} signers, ${RUNS} cold runs each\n`);
  const peers = await startPeers({ notary: true });
  const work = await mkdtemp(join(tmpdir(), 'vouch-bench-inspect-'));
  try {
    const server = peers.notaryUrl as string;
    const gun = `${peers.host}:5000/bench/app`;
    // --- seed through vouch's own publishing code (the server validates every file) ---
    const seedStart = Date.now();
    const trustDir = new TrustDir(join(work, 'seed', 'trust'), { passphrases: fixedPassphrase(PASS) });
    const session = new Session({
      env: { DOCKER_CONFIG: join(work, 'seed'), DOCKER_CONTENT_TRUST_SERVER: server },
      trustDir, now: () => new Date(),
    });
    await mkdir(join(work, 'seed', 'tls', new URL(server).host), { recursive: true });
    await copyFile(peers.ca, join(work, 'seed', 'tls', new URL(server).host, 'ca.crt'));
    const repo = new RepoHandle(session, parseReference(gun));
    const signerKeys: PrivateKey[] = [];
    for (let i = 0; i < SIGNERS; i++) {
      const k = generateKey('ecdsa');
      await trustDir.addKey(k, { role: `signer${i}` });
      signerKeys.push(k);
    }
    repo.keys.refresh();
    const init = await repo.initialize();
    init.edit('targets', (md) => {
      let next = md;
      for (let i = 0; i < SIGNERS; i++) {
        const pub = (signerKeys[i] as PrivateKey).barePublicKey;
        next = addDelegation(next, `targets/signer${i}`, { keys: [pub], paths: [''] });
        next = addDelegation(next, RELEASES_ROLE, { keys: [pub], paths: [''] });
      }
      return next;
    });
    await repo.publish(init);
    const base = await repo.loadExisting();
    const draft = new Draft(gun, new Date(), base);
    const released: Record<string, FileMeta> = {};
    const perSigner: Record<string, FileMeta>[] = Array.from({ length: SIGNERS }, () => ({}));
    for (let t = 0; t < TAGS; t++) {
      const tag = `v${Math.floor(t / 100)}.${t % 100}.0`;
      const meta = dockerTarget(sha256(`manifest ${t}`), 400 + (t % 1000));
      released[tag] = meta;
      (perSigner[t % SIGNERS] as Record<string, FileMeta>)[tag] = meta;
      (perSigner[(t + 7) % SIGNERS] as Record<string, FileMeta>)[tag] = meta;
    }
    draft.edit(RELEASES_ROLE, (md) => addTargets(md, released));
    for (let i = 0; i < SIGNERS; i++) draft.edit(`targets/signer${i}`, (md) => addTargets(md, perSigner[i] as Record<string, FileMeta>));
    await repo.publish(draft);
    await session.close();
    process.stdout.write(`seeded ${gun} on notary-server in ${Date.now() - seedStart} ms\n`);

    // --- cold runs, interleaved ---
    const vouchTimes: number[] = [];
    const notaryTimes: number[] = [];
    const vouchCpu: number[] = [];
    const notaryCpu: number[] = [];
    // BENCH_BASE=DIR: another build of vouch (a checkout with dist/ built) inspected in every round too,
    // so before and after share one window of the machine's load
    const baseBuild = process.env.BENCH_BASE;
    const baseTimes: number[] = [];
    const baseCpu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const cfg = join(work, `vouch-${i}`);
      await mkdir(join(cfg, 'tls', new URL(server).host), { recursive: true });
      await copyFile(peers.ca, join(cfg, 'tls', new URL(server).host, 'ca.crt'));
      const prof = process.argv.includes('--prof') ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'vouch-inspect-prof')}`] : [];
      const env = { DOCKER_CONFIG: cfg, DOCKER_CONTENT_TRUST_SERVER: server, HOME: work };
      // with a base build: each cold (no trust directory), in alternating order
      const inspectWithBase = async (): Promise<{ stdout: string }> => {
        await rm(join(cfg, 'trust'), { recursive: true, force: true });
        const b = await timed(process.execPath, [join(baseBuild as string, 'bin', 'vouch.js'), 'trust', 'inspect', gun], env);
        await rm(join(cfg, 'trust'), { recursive: true, force: true });
        baseTimes.push(b.ms);
        baseCpu.push(b.cpuMs);
        return b;
      };
      const before = baseBuild !== undefined && i % 2 === 1 ? await inspectWithBase() : undefined;
      const v = await timed(process.execPath, [...prof, vouchBin, 'trust', 'inspect', gun], env);
      const after = baseBuild !== undefined && i % 2 === 0 ? await inspectWithBase() : before;
      if (after !== undefined && after.stdout !== v.stdout) throw new Error('the base build printed something else');
      const parsed = JSON.parse(v.stdout) as { SignedTags: unknown[]; Signers: unknown[] }[];
      if (parsed[0]?.SignedTags.length !== TAGS || parsed[0]?.Signers.length !== SIGNERS) throw new Error('vouch inspect did not show every tag and signer');
      vouchTimes.push(v.ms);
      vouchCpu.push(v.cpuMs);

      const ndir = join(work, `notary-${i}`);
      await mkdir(ndir, { recursive: true });
      const ncfg = join(work, `notary-${i}.json`);
      await writeFile(ncfg, JSON.stringify({ trust_dir: ndir, remote_server: { url: server, root_ca: peers.ca } }));
      const n = await timed('notary', ['-c', ncfg, 'list', gun], { HOME: work });
      const rows = n.stdout.split('\n').filter((l) => /^\S+\s+[0-9a-f]{64}\s/.test(l)).length;
      if (rows !== TAGS) throw new Error(`notary list showed ${rows} targets, expected ${TAGS}`);
      notaryTimes.push(n.ms);
      notaryCpu.push(n.cpuMs);
      await rm(cfg, { recursive: true, force: true });
      await rm(ndir, { recursive: true, force: true });
    }
    const v = median(vouchTimes);
    const n = median(notaryTimes);
    process.stdout.write(`vouch trust inspect (cold): median ${v.toFixed(0)} ms  [${vouchTimes.map((x) => x.toFixed(0)).join(', ')}]\n`);
    process.stdout.write(`notary list (cold):         median ${n.toFixed(0)} ms  [${notaryTimes.map((x) => x.toFixed(0)).join(', ')}]\n`);
    process.stdout.write(`ratio vouch/notary (wall): ${(v / n).toFixed(2)}x (target <= 0.50x) ${v / n <= 0.5 ? 'OK' : 'MISSED'}\n`);
    const vc = median(vouchCpu);
    const nc = median(notaryCpu);
    process.stdout.write(`CPU time (user+sys): vouch ${vc.toFixed(0)} ms, notary ${nc.toFixed(0)} ms, ratio ${(vc / nc).toFixed(2)}x\n`);
    if (baseBuild !== undefined) {
      process.stdout.write(`base build (cold):          median ${median(baseTimes).toFixed(0)} ms  [${baseTimes.map((x) => x.toFixed(0)).join(', ')}], ratio ${(median(baseTimes) / n).toFixed(2)}x\n`);
      process.stdout.write(`base build CPU: ${median(baseCpu).toFixed(0)} ms  [${baseCpu.map((x) => x.toFixed(0)).join(', ')}]; this build [${vouchCpu.map((x) => x.toFixed(0)).join(', ')}]\n`);
    }
    const load = await readFile('/proc/loadavg', 'utf8').catch(() => '?');
    process.stdout.write(`load average during the run: ${load.split(' ').slice(0, 3).join(' ')}\n`);
    // Node 20 reads this file of roots at every start, before any JS runs; notary does not (README)
    if (process.env.NODE_EXTRA_CA_CERTS) process.stdout.write(`note: NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS} is set; vouch's runs inherit it\n`);
  } finally {
    await peers.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench inspect: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
