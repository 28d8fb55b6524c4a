// `vouch cosign verify --key` vs the real `cosign verify --key --insecure-ignore-tlog=true` (v2.6.5,
// and v3.1.3 with --new-bundle-format=false; scripts/install-go-peers.sh) on the same images,
// signed in the legacy .sig format, in the same local docker-registry, in the same run, alternating:
//  - one image, cold process each time (what a single CI step pays);
//  - N images (default 200): vouch verifies all in one process (`vouch cosign verify REF...`, as
//    cosign itself accepts several references), cosign is invoked once per image, as CI scripts
//    loop over it.
// Wall time and CPU time (user+sys of the process tree, from GNU time). Timings belong here, never
// in tests.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCosign } from '../../src/client/cosign.js';
import { Session } from '../../src/client/session.js';
import { TrustDir } from '../../src/keys/trustdir.js';
import { decryptCosignKey } from '../../src/keys/cosign.js';
import { RegistryClient } from '../../src/oci/client.js';
import { pushImage } from '../../src/oci/copy.js';
import { OciLayout } from '../../src/oci/layout.js';
import { parseReference } from '../../src/oci/reference.js';
import { buildImageLayout } from '../../test/support/image.js';
import { goPeerBinary } from '../../test/support/gopeers.js';
import { projectRoot } from '../../test/support/paths.js';
import { run, startPeers } from '../../test/support/peers.js';
import { median, ratio, table, timed } from '../lib.js';

const IMAGES = Number(process.env.BENCH_COSIGN_IMAGES ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);
const PASSWORD = 'bench';

const cosigns = { v2: await goPeerBinary('cosign'), v3: await goPeerBinary('cosign3') };
const peers = await startPeers({ registry: true });
const work = mkdtempSync(join(tmpdir(), 'vouch-bench-cosign-'));
try {
  const env = { HOME: work, DOCKER_CONFIG: join(work, '.docker'), COSIGN_PASSWORD: PASSWORD, PATH: process.env.PATH ?? '' };
  const vouch = join(projectRoot, 'bin', 'vouch.js');
  const made = await run(process.execPath, [vouch, 'cosign', 'generate-key-pair'], { env, cwd: work, timeoutMs: 60_000 });
  if (made.code !== 0) throw new Error(`generate-key-pair: ${made.stderr}`);
  const key = await decryptCosignKey(await readFile(join(work, 'cosign.key')), PASSWORD);
  const pub = join(work, 'cosign.pub');
  const host = peers.registryHost as string;

  process.stderr.write(`pushing and signing ${IMAGES} images in ${host}…\n`);
  const client = new RegistryClient({ registry: host, scheme: 'http' });
  const session = new Session({ env, trustDir: new TrustDir(join(work, '.docker', 'trust')), now: () => new Date() });
  const refs: string[] = [];
  try {
    for (let i = 0; i < IMAGES; i++) {
      const repo = `bench/app-${i}`;
      const img = await buildImageLayout(join(work, 'images'), repo, 'v1', `cosign bench image ${i}`);
      const layout = await OciLayout.open(img.layout);
      await pushImage(client, repo, layout, layout.resolve('v1'), { tag: 'v1' });
      await signCosign(session, parseReference(`${host}/${repo}@${img.digest}`), key);
      refs.push(`${host}/${repo}@${img.digest}`);
      rmSync(img.layout, { recursive: true, force: true });
    }
  } finally {
    await client.close();
    await session.close();
  }

  const vouchVerify = (args: string[]): ReturnType<typeof timed> => timed(process.execPath, [vouch, 'cosign', 'verify', '--key', pub, '--insecure-ignore-tlog=true', ...args], env);
  const cosignVerify = (version: 'v2' | 'v3', ref: string): ReturnType<typeof timed> =>
    timed(cosigns[version], ['verify', '--key', pub, '--insecure-ignore-tlog=true', ...(version === 'v3' ? ['--new-bundle-format=false'] : []), ref], env);
  // stdout: one JSON array of verified payloads per image, each naming the image's digest
  const verified = (out: string, n: number): void => {
    const lines = out.split('\n').filter((l) => /^\[\{"critical":\{.*"docker-manifest-digest":"sha256:[0-9a-f]{64}"/.test(l));
    if (lines.length !== n) throw new Error(`expected ${n} verified images, got ${lines.length}:\n${out.slice(-2000)}`);
  };

  // One image, cold process each time; alternating, each tool's first run discarded as warm-up of the page cache.
  const one = refs[0] as string;
  type Series = { ms: number[]; cpu: number[] };
  const series = (): Series => ({ ms: [], cpu: [] });
  const cold = { vouch: series(), v2: series(), v3: series(), node: series() };
  for (let i = 0; i <= COLD_RUNS; i++) {
    const v = await vouchVerify([one]);
    verified(v.stdout, 1);
    const c2 = await cosignVerify('v2', one);
    verified(c2.stdout, 1);
    const c3 = await cosignVerify('v3', one);
    verified(c3.stdout, 1);
    const bare = await timed(process.execPath, ['-e', '0']);
    if (i === 0) continue;
    for (const [s, r] of [[cold.vouch, v], [cold.v2, c2], [cold.v3, c3], [cold.node, bare]] as const) { s.ms.push(r.ms); s.cpu.push(r.cpuMs); }
  }

  // N images: vouch in one process; each cosign once per image.
  const many = { vouch: series(), v2: series(), v3: series() };
  for (let i = 0; i < RUNS; i++) {
    const v = await vouchVerify(refs);
    verified(v.stdout, refs.length);
    many.vouch.ms.push(v.ms); many.vouch.cpu.push(v.cpuMs);
    for (const version of ['v2', 'v3'] as const) {
      let ms = 0;
      let cpu = 0;
      for (const ref of refs) {
        const c = await cosignVerify(version, ref);
        verified(c.stdout, 1);
        ms += c.ms;
        cpu += c.cpuMs;
      }
      many[version].ms.push(ms); many[version].cpu.push(cpu);
    }
  }

  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const ms = (x: number): string => x.toFixed(0);
  const s = (x: number): string => (x / 1000).toFixed(2);
  const m = (xs: number[]): number => median(xs);
  process.stdout.write(`\n== vouch cosign verify vs cosign verify (v2.6.5, v3.1.3), docker-registry ${host}, same run ==\n\n${table([
    ['measure', 'vouch', 'cosign v2', 'cosign v3', 'ratio v2 (target <= 0.50x)', 'ratio v3'],
    [`1 image, cold process (ms, median of ${COLD_RUNS})`, ms(m(cold.vouch.ms)), ms(m(cold.v2.ms)), ms(m(cold.v3.ms)), ratio(m(cold.vouch.ms), m(cold.v2.ms)), ratio(m(cold.vouch.ms), m(cold.v3.ms))],
    ['1 image, CPU user+sys (ms)', ms(m(cold.vouch.cpu)), ms(m(cold.v2.cpu)), ms(m(cold.v3.cpu)), ratio(m(cold.vouch.cpu), m(cold.v2.cpu)), ratio(m(cold.vouch.cpu), m(cold.v3.cpu))],
    ['`node -e 0` (ms; CPU ms), for reference', `${ms(m(cold.node.ms))}; ${ms(m(cold.node.cpu))}`, '', '', ratio(m(cold.node.ms), m(cold.v2.ms)), ''],
    [`${IMAGES} images (s, median of ${RUNS}): vouch 1 process, cosign 1 per image`, s(m(many.vouch.ms)), s(m(many.v2.ms)), s(m(many.v3.ms)), ratio(m(many.vouch.ms), m(many.v2.ms)), ratio(m(many.vouch.ms), m(many.v3.ms))],
    [`${IMAGES} images, CPU user+sys (s)`, s(m(many.vouch.cpu)), s(m(many.v2.cpu)), s(m(many.v3.cpu)), ratio(m(many.vouch.cpu), m(many.v2.cpu)), ratio(m(many.vouch.cpu), m(many.v3.cpu))],
  ])}\n\ncold runs (vouch/cosign v2/cosign v3 ms): ${cold.vouch.ms.map((x, i) => `${ms(x)}/${ms(cold.v2.ms[i] as number)}/${ms(cold.v3.ms[i] as number)}`).join('  ')}\n${IMAGES}-image runs (vouch/cosign v2/cosign v3 s): ${many.vouch.ms.map((x, i) => `${s(x)}/${s(many.v2.ms[i] as number)}/${s(many.v3.ms[i] as number)}`).join('  ')}\nnode ${process.version}; load average: ${load}\n`);
} finally {
  await peers.stop();
  rmSync(work, { recursive: true, force: true });
}
