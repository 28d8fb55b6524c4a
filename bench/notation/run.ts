// `vouch notation verify` vs the real `notation verify` (v1.3.2, scripts/install-go-peers.sh) on
// the same signed images in the same local docker-registry (no referrers API: both tools read the
// sha256-<hex> tag index), in the same run, alternating:
//  - one image, cold process each time (what a single CI step pays);
//  - N images (default 200): vouch verifies all in one process (`vouch notation verify REF...`),
//    notation is invoked once per image, as CI scripts loop over it.
// Wall time and CPU time (user+sys of the process tree, from GNU time). Timings belong here, never
// in tests.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistrySignatureStore, signNotation } from '../../src/client/notation.js';
import { RegistryClient } from '../../src/oci/client.js';
import { pushImage } from '../../src/oci/copy.js';
import { OciLayout } from '../../src/oci/layout.js';
import { readSigningKeyFiles } from '../../src/keys/notation.js';
import { buildImageLayout } from '../../test/support/image.js';
import { globalPolicy, issueSigningLeaf, makeNotationHome, makeRootCa, notationBinary } from '../../test/support/notation.js';
import { projectRoot } from '../../test/support/paths.js';
import { startPeers } from '../../test/support/peers.js';
import { median, ratio, table, timed } from '../lib.js';

const IMAGES = Number(process.env.BENCH_NOTATION_IMAGES ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);

const notation = await notationBinary();
const peers = await startPeers({ registry: true });
const work = mkdtempSync(join(tmpdir(), 'vouch-bench-notation-'));
try {
  const pki = join(work, 'pki');
  await makeRootCa(pki, 'root', '/C=US/ST=WA/O=Vouch Bench/CN=Vouch Bench Root');
  const signer = await issueSigningLeaf(pki, 'root', 'signer', 'rsa-2048', '/C=US/ST=WA/O=Vouch Bench/CN=bench signer');
  const env = await makeNotationHome(join(work, 'home'), {
    trustStores: { bench: [join(pki, 'root.crt')] },
    policy: globalPolicy('strict', ['ca:bench'], ['x509.subject: C=US, ST=WA, O=Vouch Bench']),
  });
  const host = peers.registryHost as string;

  process.stderr.write(`pushing and signing ${IMAGES} images in ${host}…\n`);
  const key = await readSigningKeyFiles(signer.key, signer.chain);
  const client = new RegistryClient({ registry: host, scheme: 'http' });
  const refs: string[] = [];
  try {
    for (let i = 0; i < IMAGES; i++) {
      const repo = `bench/app-${i}`;
      const img = await buildImageLayout(join(work, 'images'), repo, 'v1', `notation bench image ${i}`);
      const layout = await OciLayout.open(img.layout);
      await pushImage(client, repo, layout, layout.resolve('v1'), { tag: 'v1' });
      await signNotation({ store: new RegistrySignatureStore(client, repo), reference: img.digest, key, now: new Date() });
      refs.push(`${host}/${repo}@${img.digest}`);
      rmSync(img.layout, { recursive: true, force: true });
    }
  } finally {
    await client.close();
  }

  const vouch = join(projectRoot, 'bin', 'vouch.js');
  const vouchVerify = (args: string[]): ReturnType<typeof timed> => timed(process.execPath, [vouch, 'notation', 'verify', '--plain-http', ...args], env);
  const notationVerify = (ref: string): ReturnType<typeof timed> => timed(notation, ['verify', '--insecure-registry', ref], env);
  const verified = (out: string, n: number): void => {
    const lines = out.split('\n').filter((l) => l.startsWith('Successfully verified signature for '));
    if (lines.length !== n) throw new Error(`expected ${n} verified artifacts, got ${lines.length}:\n${out.slice(-2000)}`);
  };

  // One image, cold process each time; alternating, each tool's first run discarded as warm-up of the page cache.
  const one = refs[0] as string;
  // `node -e 0` alongside: the floor any Node.js CLI pays before its first line runs.
  const cold = { vouch: [] as number[], notation: [] as number[], vouchCpu: [] as number[], notationCpu: [] as number[], node: [] as number[], nodeCpu: [] as number[] };
  for (let i = 0; i <= COLD_RUNS; i++) {
    const v = await vouchVerify([one]);
    verified(v.stdout, 1);
    const n = await notationVerify(one);
    verified(n.stdout, 1);
    const bare = await timed(process.execPath, ['-e', '0']);
    if (i === 0) continue;
    cold.node.push(bare.ms); cold.nodeCpu.push(bare.cpuMs);
    cold.vouch.push(v.ms); cold.vouchCpu.push(v.cpuMs);
    cold.notation.push(n.ms); cold.notationCpu.push(n.cpuMs);
  }

  // N images: vouch in one process; notation once per image.
  const many = { vouch: [] as number[], notation: [] as number[], vouchCpu: [] as number[], notationCpu: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    const v = await vouchVerify(refs);
    verified(v.stdout, refs.length);
    many.vouch.push(v.ms); many.vouchCpu.push(v.cpuMs);
    let ms = 0;
    let cpu = 0;
    for (const ref of refs) {
      const n = await notationVerify(ref);
      verified(n.stdout, 1);
      ms += n.ms;
      cpu += n.cpuMs;
    }
    many.notation.push(ms); many.notationCpu.push(cpu);
  }

  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const ms = (x: number): string => x.toFixed(0);
  const s = (x: number): string => (x / 1000).toFixed(2);
  process.stdout.write(`\n== vouch notation verify vs notation verify (v1.3.2), docker-registry ${host}, same run ==\n\n${table([
    ['measure', 'vouch', 'notation', 'ratio (target <= 0.50x)'],
    [`1 image, cold process (ms, median of ${COLD_RUNS})`, ms(median(cold.vouch)), ms(median(cold.notation)), ratio(median(cold.vouch), median(cold.notation))],
    ['1 image, CPU user+sys (ms)', ms(median(cold.vouchCpu)), ms(median(cold.notationCpu)), ratio(median(cold.vouchCpu), median(cold.notationCpu))],
    ['`node -e 0` (ms; CPU ms), for reference', `${ms(median(cold.node))}; ${ms(median(cold.nodeCpu))}`, '', ratio(median(cold.node), median(cold.notation))],
    [`${IMAGES} images (s, median of ${RUNS}): vouch 1 process, notation 1 per image`, s(median(many.vouch)), s(median(many.notation)), ratio(median(many.vouch), median(many.notation))],
    [`${IMAGES} images, CPU user+sys (s)`, s(median(many.vouchCpu)), s(median(many.notationCpu)), ratio(median(many.vouchCpu), median(many.notationCpu))],
  ])}\n\ncold runs (vouch/notation ms): ${cold.vouch.map((x, i) => `${ms(x)}/${ms(cold.notation[i] as number)}`).join('  ')}\n${IMAGES}-image runs (vouch/notation s): ${many.vouch.map((x, i) => `${s(x)}/${s(many.notation[i] as number)}`).join('  ')}\nnode ${process.version}; load average: ${load}\n`);
} finally {
  await peers.stop();
  rmSync(work, { recursive: true, force: true });
}
