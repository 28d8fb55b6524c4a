// vouch cosign triangulate | tree against the real cosign v2.6.5 and v3.1.3 on docker-registry (TLS,
// no referrers API: cosign 3 keeps its bundles' index under the sha256-<hex> tag) and on vouch
// registry (referrers API): the same image signed and attested by both cosigns (v2: legacy .sig and
// .att tags; v3: Sigstore bundles as OCI referrers), then every answer compared byte for byte.
// cosign prints tree's branches from a Go map, in random order; the comparison puts both outputs'
// branches in one order and checks vouch's own order separately. A missing peer is a failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { writeDemoImage } from '../../src/cli/demoimage.js';
import { runRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { goPeerBinary } from '../support/gopeers.js';
import { run, startPeers, type Peers, type RunResult } from '../support/peers.js';
import { runCli } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../unit/client/helpers.js';

let peers: Peers;
let local: RunningRegistry;
let dir: string;
let env: Record<string, string>;
const cosigns: Record<string, string> = {};

before(async () => {
  [cosigns.v2, cosigns.v3] = await Promise.all([goPeerBinary('cosign'), goPeerBinary('cosign3')]) as [string, string];
  peers = await startPeers({ registry: true });
  dir = await tempDir('cosign-tree-interop-');
  local = await runRegistry({ addr: '127.0.0.1:0', root: join(dir, 'registry') });
  env = { HOME: dir, DOCKER_CONFIG: join(dir, '.docker'), COSIGN_PASSWORD: 'tree-interop', SSL_CERT_FILE: peers.ca };
  await writeDemoImage(join(dir, 'img'), '1.0', 'cosign tree interop\n');
  await writeDemoImage(join(dir, 'img2'), '1.0', 'cosign tree interop, moved signatures\n');
  await writeFile(join(dir, 'predicate.json'), '{"built":"by the interop test"}\n');
  const made = await run(cosigns.v2 as string, ['generate-key-pair'], { env, cwd: dir, timeoutMs: 60_000 });
  assert.equal(made.code, 0, made.stderr);
});

after(async () => {
  await local?.close();
  await peers?.stop();
  await removeTempDirs();
});

const vouch = (args: string[], extra: Record<string, string> = {}): Promise<RunResult> => runCli(args, { ...env, ...extra }, dir);
const cosign = (version: 'v2' | 'v3', args: string[], extra: Record<string, string> = {}): Promise<RunResult> =>
  run(cosigns[version] as string, args, { env: { ...env, COSIGN_YES: 'true', ...extra }, cwd: dir, timeoutMs: 120_000 });

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return r;
}

/** tree's output with its branches (a `└──` line and the lines under it) sorted, the first line kept first. */
function branchesSorted(out: string): string {
  // without the final newline: it would stick to whichever branch cosign printed last
  const [head = '', ...rest] = out.trimEnd().split('\n');
  const branches: string[] = [];
  for (const line of rest) {
    if (line.startsWith('└── ')) branches.push(line);
    else if (branches.length > 0) branches[branches.length - 1] += `\n${line}`;
    else branches.push(line);
  }
  return [head, ...branches.sort()].join('\n');
}

/** The kind of each branch of a tree output, in order. */
const branchKinds = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('└── ')).map((l) => (l.includes('referrer') ? 'referrer' : l.split(' ')[2] as string));

for (const where of ['docker-registry', 'vouch registry'] as const) {
  describe(where, () => {
    let host: string;
    let image: string;
    let http: string[];

    before(async () => {
      host = where === 'vouch registry' ? local.host : peers.registryHost as string;
      http = where === 'vouch registry' ? ['--allow-http-registry'] : [];
      image = `${host}/tree/app:1.0`;
      ok(await vouch(['push', image, '--from', `oci:${join(dir, 'img')}`, '--disable-content-trust']), 'push');
    });

    test('an image with nothing attached: tree and triangulate answer as both cosigns', async () => {
      for (const version of ['v2', 'v3'] as const) {
        const theirs = ok(await cosign(version, ['tree', ...http, image]), `cosign ${version} tree`);
        const ours = ok(await vouch(['cosign', 'tree', ...(version === 'v2' ? ['--experimental-oci11=false'] : []), image]), 'vouch cosign tree');
        assert.equal(ours.stdout, theirs.stdout, version);
        assert.match(ours.stdout, /No Supply Chain Security Related Artifacts found/);
      }
    });

    test('signed and attested by cosign v2 (legacy tags) and v3 (bundles as referrers): tree and every triangulate type are byte-identical', async () => {
      const key = ['--key', 'cosign.key', '--tlog-upload=false', ...http];
      ok(await cosign('v2', ['sign', ...key, image]), 'cosign v2 sign');
      ok(await cosign('v2', ['attest', ...key, '--predicate', 'predicate.json', '--type', 'custom', image]), 'cosign v2 attest');
      ok(await cosign('v3', ['sign', ...key, '--use-signing-config=false', image]), 'cosign v3 sign');
      ok(await cosign('v3', ['attest', ...key, '--use-signing-config=false', '--predicate', 'predicate.json', '--type', 'custom', image]), 'cosign v3 attest');
      // a second v2 signature: two layers under the .sig tag
      ok(await cosign('v2', ['sign', ...key, '-a', 'second=yes', image]), 'cosign v2 sign again');

      const v3 = ok(await cosign('v3', ['tree', ...http, image]), 'cosign v3 tree');
      const ours = ok(await vouch(['cosign', 'tree', image]), 'vouch cosign tree');
      assert.equal(branchesSorted(ours.stdout), branchesSorted(v3.stdout));
      assert.deepEqual(branchKinds(ours.stdout), ['Attestations', 'Signatures', 'referrer', 'referrer']);
      assert.match(ours.stdout, /🔗 https:\/\/sigstore\.dev\/cosign\/sign\/v1 artifacts via OCI referrer/);
      assert.match(ours.stdout, / {3}├── 🍒 sha256:[0-9a-f]{64}\n {3}└── 🍒 sha256:/);

      const v2 = ok(await cosign('v2', ['tree', ...http, image]), 'cosign v2 tree');
      const oursV2 = ok(await vouch(['cosign', 'tree', '--experimental-oci11=false', image]), 'vouch cosign tree (v2)');
      assert.equal(branchesSorted(oursV2.stdout), branchesSorted(v2.stdout));
      const v2Referrers = ok(await cosign('v2', ['tree', '--experimental-oci11', ...http, image]), 'cosign v2 tree --experimental-oci11');
      // cosign v2 names a referrer by its artifact type (v3: by the bundle's predicate type)
      assert.match(v2Referrers.stdout, /🔗 application\/vnd\.dev\.sigstore\.bundle\.v0\.3\+json artifacts via OCI referrer/);

      for (const type of ['signature', 'attestation', 'sbom', 'digest']) {
        const theirs = ok(await cosign('v2', ['triangulate', '--type', type, ...http, image]), `cosign triangulate --type ${type}`);
        const theirs3 = ok(await cosign('v3', ['triangulate', '--type', type, ...http, image]), `cosign3 triangulate --type ${type}`);
        const mine = ok(await vouch(['cosign', 'triangulate', '--type', type, image]), `vouch cosign triangulate --type ${type}`);
        assert.equal(mine.stdout, theirs.stdout, type);
        assert.equal(mine.stdout, theirs3.stdout, type);
      }
    });

    test('$COSIGN_REPOSITORY: signatures cosign put in another repository are where vouch looks, and tree shows them as cosign does', async () => {
      const moved = `${host}/tree/other:1.0`;
      ok(await vouch(['push', moved, '--from', `oci:${join(dir, 'img2')}`, '--disable-content-trust']), 'push');
      const elsewhere = { COSIGN_REPOSITORY: `${host}/tree/signatures` };
      ok(await cosign('v2', ['sign', '--key', 'cosign.key', '--tlog-upload=false', ...http, moved], elsewhere), 'cosign v2 sign to $COSIGN_REPOSITORY');
      for (const version of ['v2', 'v3'] as const) {
        const theirs = ok(await cosign(version, ['tree', ...http, moved], elsewhere), `cosign ${version} tree`);
        const ours = ok(await vouch(['cosign', 'tree', moved], elsewhere), 'vouch cosign tree');
        assert.equal(ours.stdout, theirs.stdout, version);
        assert.match(ours.stdout, /Signatures for an image tag: .*\/tree\/signatures:sha256-[0-9a-f]{64}\.sig\n/);
        for (const type of ['signature', 'digest']) {
          const t = ok(await cosign(version, ['triangulate', '--type', type, ...http, moved], elsewhere), 'cosign triangulate');
          assert.equal((await vouch(['cosign', 'triangulate', '--type', type, moved], elsewhere)).stdout, t.stdout, `${version} ${type}`);
        }
      }
      // without the variable, nothing is found next to the image, by either tool
      const plain = ok(await cosign('v3', ['tree', ...http, moved]), 'cosign v3 tree');
      assert.equal((await vouch(['cosign', 'tree', moved])).stdout, plain.stdout);
    });
  });
}
