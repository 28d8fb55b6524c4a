// `vouch pull` with content trust (trust data verified, manifest by digest, every blob hashed while
// it streams) vs `skopeo copy` of the same image from the same local registry, in the same run;
// and vouch's streaming blob hash vs `sha256sum` on the same file.
import { createReadStream, mkdtempSync, readFileSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { pushSignedImage } from '../image.js';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { startPeers } from '../../test/support/peers.js';
import { projectRoot } from '../../test/support/paths.js';
import { VerifyingStream } from '../../src/oci/index.js';
import { median, ratio, run, table, timed } from '../lib.js';

const MB = 1024 * 1024;
const IMAGE_MB = Number(process.env.BENCH_IMAGE_MB ?? 200);
const LAYERS = 4;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function timedFn(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const peers = await startPeers({ registry: true, notary: true });
const work = mkdtempSync(join(tmpdir(), 'vouch-bench-pull-'));
try {
  const signed = await pushSignedImage(peers, work, IMAGE_MB, LAYERS);
  const { manifest, image } = signed;
  const env = { ...process.env, ...signed.env };
  const vouch = join(projectRoot, 'bin', 'vouch.js');

  const vouchTimes: number[] = [];
  const skopeoTimes: number[] = [];
  const vouchCpu: number[] = [];
  const skopeoCpu: number[] = [];
  // BENCH_BASE=DIR: another build of vouch (a checkout with dist/ built) pulled in every round too,
  // so old and new are compared in the same window.
  const base = process.env.BENCH_BASE;
  // --prof: V8 CPU profiles of this build's pulls in $TMPDIR/vouch-pull-prof (open in Chrome DevTools)
  const prof = process.argv.includes('--prof') ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'vouch-pull-prof')}`] : [];
  const baseTimes: number[] = [];
  const baseCpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate, and start each from nothing: no trust cache, no destination. The base build goes
    // first in even rounds and after this build in odd ones, so neither always gets the warmer cache.
    const dest = join(work, `v${i}`);
    const pullWith = async (bin: string, args: string[], times: number[], cpu: number[]): Promise<string> => {
      rmSync(join(work, 'docker', 'trust', 'tuf'), { recursive: true, force: true });
      const r = await timed(process.execPath, [...args, bin, 'pull', image, '--verify', '--to', `oci:${dest}`], env);
      times.push(r.ms / 1000);
      cpu.push(r.cpuMs / 1000);
      rmSync(dest, { recursive: true, force: true });
      return r.stdout;
    };
    const pullBase = (): Promise<string> | undefined => (base !== undefined ? pullWith(join(base, 'bin', 'vouch.js'), [], baseTimes, baseCpu) : undefined);
    const before = i % 2 === 0 ? await pullBase() : undefined;
    const out = await pullWith(vouch, prof, vouchTimes, vouchCpu);
    const after = i % 2 === 1 ? await pullBase() : before;
    if (after !== undefined && after !== out) throw new Error(`the base build printed something else:\n${after}\n---\n${out}`);
    const sdest = join(work, `s${i}`);
    const sk = await timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${image}`, `oci:${sdest}:1.0`]);
    skopeoTimes.push(sk.ms / 1000);
    skopeoCpu.push(sk.cpuMs / 1000);
    rmSync(sdest, { recursive: true, force: true });
  }

  // Hashing: one large file, vouch's VerifyingStream vs sha256sum.
  const file = join(work, 'blob.bin');
  const fd = openSync(file, 'w');
  for (let left = IMAGE_MB * MB; left > 0; left -= 4 * MB) writeSync(fd, randomBytes(Math.min(4 * MB, left)));
  closeSync(fd);
  const want = `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
  const hashVouch: number[] = [];
  const hashSum: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    hashVouch.push(await timedFn(async () => {
      await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), new VerifyingStream({ digest: want, size: IMAGE_MB * MB }), new Writable({ write(_c, _e, cb) { cb(); } }));
    }));
    hashSum.push(await timedFn(async () => {
      const r = await run('sha256sum', [file]);
      if (r.code !== 0 || !r.stdout.startsWith(want.slice(7))) throw new Error('sha256sum disagrees');
    }));
  }
  const v = median(vouchTimes);
  const s = median(skopeoTimes);
  const hv = (IMAGE_MB / median(hashVouch));
  const hs = (IMAGE_MB / median(hashSum));
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  process.stdout.write(`\n== vouch pull --verify vs skopeo copy (${IMAGE_MB} MB image ${manifest.digest.slice(0, 19)}…, median of ${RUNS}) ==\n\n${table([
    ['measure', 'vouch', 'peer', 'ratio'],
    ['pull (s), lower is better', v.toFixed(2), `skopeo ${s.toFixed(2)}`, `${ratio(v, s)} of skopeo's time (target <= 1.10x)`],
    ['pull CPU, user+sys (s)', median(vouchCpu).toFixed(2), `skopeo ${median(skopeoCpu).toFixed(2)}`, ratio(median(vouchCpu), median(skopeoCpu))],
    ...(base !== undefined ? [
      ['base build pull (s)', median(baseTimes).toFixed(2), `skopeo ${s.toFixed(2)}`, `${ratio(median(baseTimes), s)} of skopeo's time`],
      ['base build CPU (s)', median(baseCpu).toFixed(2), `skopeo ${median(skopeoCpu).toFixed(2)}`, ratio(median(baseCpu), median(skopeoCpu))],
    ] : []),
    ['blob hashing (MB/s)', hv.toFixed(0), `sha256sum ${hs.toFixed(0)}`, `${((100 * hv) / hs).toFixed(0)}% of sha256sum`],
  ])}\n\nper run (vouch/skopeo s): ${vouchTimes.map((x, i) => `${x.toFixed(2)}/${(skopeoTimes[i] as number).toFixed(2)}`).join('  ')}${base !== undefined ? `\nper run (base/skopeo s): ${baseTimes.map((x, i) => `${x.toFixed(2)}/${(skopeoTimes[i] as number).toFixed(2)}`).join('  ')}` : ''}\nload average: ${load}\n`);
} finally {
  await peers.stop();
  rmSync(work, { recursive: true, force: true });
}
