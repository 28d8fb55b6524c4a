// Pulling a large image through `vouch gate` vs straight from the registry: the same client
// (skopeo copy), the same image, the same registry (docker-registry), in the same run, alternated.
// The gate runs as users run it (node bin/vouch.js gate), with the image's trust data in
// notary-server; the first pull through it verifies (cold), later ones use the kept verdict.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPeers } from '../../test/support/peers.js';
import { spawnServer } from '../../test/support/vouch-server.js';
import { pushSignedImage } from '../image.js';
import { median, ratio, table, timed } from '../lib.js';

const IMAGE_MB = Number(process.env.BENCH_IMAGE_MB ?? 200);
const LAYERS = 4;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const peers = await startPeers({ registry: true, notary: true });
const work = mkdtempSync(join(tmpdir(), 'vouch-bench-gate-'));
try {
  const { manifest, image, env } = await pushSignedImage(peers, work, IMAGE_MB, LAYERS);
  const policy = join(work, 'policy.yaml');
  writeFileSync(policy, `version: 1\nrules:\n  - name: bench\n    repositories: ["${peers.registryHost}/bench/*"]\n    signers: ["Repo Admin"]\n`);
  const gate = await spawnServer(['--upstream', peers.registryUrl as string, '--policy', policy, '--addr', '127.0.0.1:0'], env, 'gate');
  const gateHost = new URL(gate.url).host;
  try {
    const direct: number[] = [];
    const through: number[] = [];
    const directCpu: number[] = [];
    const throughCpu: number[] = [];
    const gateCpu: number[] = [];
    // The gate's own CPU (user + sys, /proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s).
    const gateTicks = (): number => {
      const fields = readFileSync(`/proc/${gate.child.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return Number(fields[11]) + Number(fields[12]);
    };
    for (let i = 0; i < RUNS; i++) {
      const a = join(work, `direct-${i}`);
      const d = await timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${image}`, `oci:${a}:1.0`]);
      direct.push(d.ms / 1000);
      directCpu.push(d.cpuMs / 1000);
      rmSync(a, { recursive: true, force: true });
      const b = join(work, `gate-${i}`);
      const before = gateTicks();
      const g = await timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${gateHost}/bench/big:1.0`, `oci:${b}:1.0`]);
      gateCpu.push((gateTicks() - before) / 100);
      through.push(g.ms / 1000);
      throughCpu.push(g.cpuMs / 1000);
      rmSync(b, { recursive: true, force: true });
    }
    const dm = median(direct);
    const gm = median(through);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    process.stdout.write(`\n== skopeo copy through vouch gate vs straight from docker-registry (${IMAGE_MB} MB image ${manifest.digest.slice(0, 19)}…, median of ${RUNS}) ==\n\n${table([
      ['measure', 'through the gate', 'direct', 'ratio'],
      ['pull (s), lower is better', gm.toFixed(2), dm.toFixed(2), `${ratio(gm, dm)} (target <= 1.15x)`],
      ['skopeo CPU, user+sys (s)', median(throughCpu).toFixed(2), median(directCpu).toFixed(2), ratio(median(throughCpu), median(directCpu))],
      ['the gate\'s own CPU per pull (s)', median(gateCpu).toFixed(2), '-', '-'],
      ['first pull, cold verdict (s)', (through[0] as number).toFixed(2), (direct[0] as number).toFixed(2), ratio(through[0] as number, direct[0] as number)],
    ])}\n\nper run (gate/direct s): ${through.map((x, i) => `${x.toFixed(2)}/${(direct[i] as number).toFixed(2)}`).join('  ')}\nload average: ${load}\n`);
  } finally {
    await gate.stop();
  }
} finally {
  await peers.stop();
  rmSync(work, { recursive: true, force: true });
}
