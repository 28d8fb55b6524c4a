// `vouch gate` (node bin/vouch.js gate, a process of its own) in front of the REAL CNCF registry
// (docker-registry, HTTPS with Basic auth: the gate holds the credentials and the CA from its
// config file), with DCT data signed by the REAL docker CLI and notary client in the REAL
// notary-server, pulled through by the REAL skopeo, crane and regctl (both built with go install,
// scripts/install-go-peers.sh). The docker CLI cannot pull without a daemon, so it only signs here.
// A missing peer is a failure, never a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireDocker28, signWithDockerAndNotary } from '../support/dct.js';
import { goPeerBinary } from '../support/gopeers.js';
import { run, startPeers, type ImageInfo, type Peers, type RunResult } from '../support/peers.js';
import { need, spawnServer, type SpawnedServer } from '../support/vouch-server.js';
import { removeTempDirs, tempDir, vouchUser } from '../unit/client/helpers.js';

let peers: Peers;
let gate: SpawnedServer;
let gateHost: string;
let crane: string;
let regctl: string;
let clientHome: string;
let gateEnv: Record<string, string>;
let configFile: string;
let policyFile: string;
const img: Record<string, ImageInfo> = {};

const TAGS = ['1.0', 'carol-1', 'prod-1', 'prod-2', 'moved', 'unsigned', 'corrupt'] as const;

before(async () => {
  requireDocker28();
  need('skopeo');
  [crane, regctl] = await Promise.all([goPeerBinary('crane'), goPeerBinary('regctl')]) as [string, string];
  peers = await startPeers({ registry: { tls: true, auth: 'htpasswd' }, notary: true, docker: true });
  for (const tag of TAGS) img[tag] = await peers.makeImage('team/app', tag, `gate interop image ${tag}\n`);
  const gun = peers.gun('team/app');
  const signed = (tag: string, ...signers: string[]) => ['targets/releases', ...signers.map((s) => `targets/${s}`)].map((role) => ({ tag, image: img[tag] as ImageInfo, role }));
  await signWithDockerAndNotary(peers, gun, ['alice', 'bob', 'carol'], [
    ...signed('1.0', 'alice'), ...signed('carol-1', 'carol'), ...signed('prod-1', 'alice'), ...signed('prod-2', 'alice', 'bob'),
    ...signed('moved', 'alice'), ...signed('corrupt', 'alice'),
  ]);
  // Moved in the registry after alice signed it.
  await peers.makeImage('team/app', 'moved', 'pushed over the signed tag\n');

  const dir = await tempDir('vouch-gate-interop-');
  await writeFile(join(dir, 'registry-password'), 'testpassword\n');
  configFile = join(dir, 'gate.yaml');
  await writeFile(configFile, `# the upstream: docker-registry over HTTPS with Basic auth
upstreams:
  - prefix: ""
    url: ${peers.registryUrl}
    username: testuser
    passwordFile: registry-password
    caFiles: [${peers.ca}]
    trustServer: ${peers.notaryUrl}
`);
  policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, `version: 1
rules:
  - name: team
    repositories: ["${peers.registryHost}/team/*"]
    signers: [alice]
    tags:
      - pattern: "prod-*"
        signers: [alice, bob]
        threshold: 2
`);
  // The gate's trust client: notary-server's CA where docker keeps it, its own trust directory.
  const user = await vouchUser(peers.notaryUrl as string, { ca: peers.ca });
  gateEnv = user.env;
  gate = await spawnServer(['--config', configFile, '--policy', policyFile, '--addr', '127.0.0.1:0'], gateEnv, 'gate');
  gateHost = new URL(gate.url).host;
  clientHome = await tempDir('vouch-gate-clients-');
  await mkdir(join(clientHome, '.docker'), { recursive: true });
  check(await run(regctl, ['registry', 'set', gateHost, '--tls', 'disabled'], { env: { HOME: clientHome } }), 'regctl registry set');
});

after(async () => {
  await gate?.stop();
  await peers?.stop();
  await removeTempDirs();
});

function check(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const skopeo = (args: string[], home = clientHome) => run('skopeo', ['--insecure-policy', ...args], { env: { HOME: home }, timeoutMs: 180_000 });
const craneRun = (args: string[]) => run(crane, [...args, '--insecure'], { env: { HOME: clientHome, DOCKER_CONFIG: join(clientHome, '.docker') }, timeoutMs: 120_000 });
const regctlRun = (args: string[]) => run(regctl, args, { env: { HOME: clientHome }, timeoutMs: 120_000 });
const through = (tag: string): string => `${gateHost}/team/app:${tag}`;

describe('vouch gate with real clients, docker-registry and notary-server', () => {
  test('signed by the signer the policy names: skopeo, crane and regctl pull it through the gate', async () => {
    const inspect = JSON.parse(check(await skopeo(['inspect', '--tls-verify=false', `docker://${through('1.0')}`]), 'skopeo inspect')) as { Digest: string };
    assert.equal(inspect.Digest, img['1.0']!.digest);
    const out = await tempDir('vouch-gate-pulled-');
    check(await skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${through('1.0')}`, `oci:${out}:1.0`]), 'skopeo copy');
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.equal(index.manifests[0]?.digest, img['1.0']!.digest);
    assert.equal(check(await craneRun(['digest', through('1.0')]), 'crane digest').trim(), img['1.0']!.digest);
    check(await craneRun(['pull', through('1.0'), join(out, 'crane.tar')]), 'crane pull');
    assert.equal(check(await regctlRun(['image', 'digest', through('1.0')]), 'regctl image digest').trim(), img['1.0']!.digest);
    check(await regctlRun(['image', 'export', through('1.0'), join(out, 'regctl.tar')]), 'regctl image export');
  });

  test('unsigned: refused with DENIED naming the rule, by every client', async () => {
    const s = await skopeo(['inspect', '--tls-verify=false', `docker://${through('unsigned')}`]);
    assert.notEqual(s.code, 0);
    assert.match(s.stderr, /denied: team\/app:unsigned: denied by rule 'team' \(.*\/team\/\*\): signed: /);
    const c = await craneRun(['manifest', through('unsigned')]);
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /DENIED: team\/app:unsigned: denied by rule 'team'/);
    const r = await regctlRun(['manifest', 'get', through('unsigned')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /denied by rule 'team'/);
  });

  test('signed by someone else: refused, naming who may sign', async () => {
    const s = await skopeo(['inspect', '--tls-verify=false', `docker://${through('carol-1')}`]);
    assert.notEqual(s.code, 0);
    assert.match(s.stderr, /denied by rule 'team'.*only alice may sign it/);
  });

  test('k of n: 1 of 2 refused, 2 of 2 pulled', async () => {
    const one = await skopeo(['inspect', '--tls-verify=false', `docker://${through('prod-1')}`]);
    assert.notEqual(one.code, 0);
    assert.match(one.stderr, /tags 'prod-\*'\): threshold: needs 2 distinct signers on one digest out of alice, bob, but sha256:\S+ has 1 \(alice\)/);
    const out = await tempDir('vouch-gate-prod-');
    check(await skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${through('prod-2')}`, `oci:${out}:prod-2`]), 'skopeo copy prod-2');
    assert.equal(check(await craneRun(['digest', through('prod-2')]), 'crane digest').trim(), img['prod-2']!.digest);
  });

  test('a tag moved in the registry after signing is refused; the signed digest is still pulled by digest', async () => {
    const s = await skopeo(['inspect', '--tls-verify=false', `docker://${through('moved')}`]);
    assert.notEqual(s.code, 0);
    assert.match(s.stderr, new RegExp(`team/app:moved: the tag was moved in the upstream registry after signing: it points to sha256:\\S+, but its signers signed ${img.moved!.digest}`));
    const byDigest = await craneRun(['digest', `${gateHost}/team/app@${img.moved!.digest}`]);
    assert.equal(check(byDigest, 'crane digest by digest').trim(), img.moved!.digest);
  });

  test('a blob corrupted in the registry aborts the pull', async () => {
    const manifest = JSON.parse(await readFile(img.corrupt!.manifestPath, 'utf8')) as { layers: { digest: string }[] };
    const hex = (manifest.layers[0] as { digest: string }).digest.slice('sha256:'.length);
    const data = join(peers.dir, 'registry', 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    const bytes = await readFile(data);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await writeFile(data, bytes);
    const out = await tempDir('vouch-gate-corrupt-');
    const s = await skopeo(['copy', '--quiet', '--retry-times', '0', '--src-tls-verify=false', `docker://${through('corrupt')}`, `oci:${out}:corrupt`]);
    assert.notEqual(s.code, 0, 'skopeo must not finish a pull of a corrupted blob');
    const c = await craneRun(['pull', through('corrupt'), join(out, 'corrupt.tar')]);
    assert.notEqual(c.code, 0, 'crane must not finish a pull of a corrupted blob');
  });

  test('pushes: refused by default; passed with --allow-push behind the gate\'s own Basic auth', async () => {
    const layout = img['1.0']!.layout;
    const refused = await skopeo(['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:1.0`, `docker://${gateHost}/team/pushed:1`]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /does not pass pushes/);
    const pushGate = await spawnServer(['--config', configFile, '--policy', policyFile, '--addr', '127.0.0.1:0', '--allow-push', '--user', 'pusher'], { ...gateEnv, VOUCH_GATE_PASSWORD: 'push-secret' }, 'gate');
    try {
      const host = new URL(pushGate.url).host;
      const anon = await skopeo(['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:1.0`, `docker://${host}/team/pushed:1`]);
      assert.notEqual(anon.code, 0);
      check(await skopeo(['copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', '--dest-creds', 'pusher:push-secret', `oci:${layout}:1.0`, `docker://${host}/team/pushed:1`]), 'skopeo copy through the gate');
      // It is in docker-registry now, as pushed.
      const certDir = await tempDir('vouch-gate-certs-');
      await writeFile(join(certDir, 'ca.crt'), await readFile(peers.ca));
      const direct = JSON.parse(check(await skopeo(['inspect', '--cert-dir', certDir, '--creds', 'testuser:testpassword', `docker://${peers.registryHost}/team/pushed:1`]), 'skopeo inspect upstream')) as { Digest: string };
      assert.equal(direct.Digest, img['1.0']!.digest);
    } finally {
      await pushGate.stop();
    }
  });
});

describe('vouch gate in front of docker-registry with token auth (no anonymous pulls)', () => {
  let tp: Peers;
  let image: ImageInfo;
  const gates: SpawnedServer[] = [];
  let env: Record<string, string>;
  let dir: string;

  before(async () => {
    tp = await startPeers({ registry: { auth: 'token' }, tokenServer: { anonymousPull: false }, notary: true });
    image = await tp.makeImage('open/app', '1.0', 'token auth through the gate\n');
    dir = await tempDir('vouch-gate-token-');
    await writeFile(join(dir, 'policy.yaml'), 'version: 1\ndefaults:\n  rejectUnsigned: false\n');
    env = (await vouchUser(tp.notaryUrl as string, { ca: tp.ca })).env;
  });
  after(async () => {
    for (const g of gates) await g.stop();
    await tp?.stop();
  });

  async function gateWith(password: string): Promise<string> {
    const file = join(dir, `gate-${password}.yaml`);
    await writeFile(file, `upstreams:\n  - url: ${tp.registryUrl}\n    username: testuser\n    password: ${password}\n    caFiles: [${tp.ca}]\n    trustServer: ${tp.notaryUrl}\n`);
    const g = await spawnServer(['--config', file, '--policy', join(dir, 'policy.yaml'), '--addr', '127.0.0.1:0'], env, 'gate');
    gates.push(g);
    return new URL(g.url).host;
  }

  test("the gate answers docker's token challenge with its upstream credentials; wrong ones are the gate's fault, said so", async () => {
    const host = await gateWith('testpassword');
    const inspect = JSON.parse(check(await skopeo(['inspect', '--tls-verify=false', `docker://${host}/open/app:1.0`]), 'skopeo inspect')) as { Digest: string };
    assert.equal(inspect.Digest, image.digest);
    const wrong = await gateWith('wrong');
    const r = await skopeo(['inspect', '--tls-verify=false', `docker://${wrong}/open/app:1.0`]);
    assert.notEqual(r.code, 0);
    // skopeo shows only the status of a 502; the error body says what is wrong.
    assert.match(r.stderr, /502 Bad Gateway/);
    const res = await fetch(`http://${wrong}/v2/open/app/manifests/1.0`);
    const body = await res.json() as { errors: { code: string; message: string }[] };
    assert.equal(res.status, 502);
    assert.equal(body.errors[0]?.code, 'UNAVAILABLE');
    assert.match(body.errors[0]?.message ?? '', /the gate was refused: the token server \S+ refused the credentials .*the gate's operator must fix its credentials/);
  });
});
