// Enforcement of the one policy over all three signature kinds, where images are used (issue 15):
// images in the REAL CNCF registry signed with DCT (vouch server), Notation (the REAL notation) and
// cosign (test/support/mixed.ts); one policy file whose prod rule needs 2 of {release-bot (dct),
// ci (notation), security (cosign)}, naming its key file and notation's trust store directory
// relative to itself (docs/policy.md). `vouch admission` (HTTPS, spawned as users run it, its policy
// and the files the policy names mounted from the ConfigMap `vouch admission manifests` prints) is
// sent the AdmissionReviews of test/fixtures/admission; `vouch gate` (spawned as users run it) is pulled
// through by the REAL skopeo and crane. A missing peer is a failure, never a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { DemoImage } from '../../src/cli/demoimage.js';
import { goPeerBinary } from '../support/gopeers.js';
import { MIXED_SIGNERS, startMixedStack, type MixedStack } from '../support/mixed.js';
import { httpRequestTo, run, type RunResult } from '../support/peers.js';
import { need, spawnServer, type SpawnedServer } from '../support/vouch-server.js';
import { removeTempDirs, tempDir, vouchUser } from '../unit/client/helpers.js';
import { at, patched, reviewText, type Answered, type FixtureName } from '../unit/admission/helpers.js';

let stack: MixedStack;
let host: string;
let policy: string;
let wrongKeyPolicy: string;
const img: Record<string, DemoImage> = {};

/** tag → who signs it: two kinds (allowed), one kind (denied), and DCT with a stranger's cosign key. */
const SIGNED = {
  'notation-cosign': ['notation', 'cosign'],
  'dct-notation': ['dct', 'notation'],
  'dct-cosign': ['dct', 'cosign'],
  'cosign-only': ['cosign'],
  'dct-stranger': ['dct', 'stranger'],
} as const;
type Tag = keyof typeof SIGNED;

before(async () => {
  need('skopeo');
  stack = await startMixedStack('enforce/app', 'vouch-enforce-mixed-');
  host = stack.peers.registryHost as string;
  for (const [tag, kinds] of Object.entries(SIGNED) as [Tag, readonly string[]][]) {
    const image = img[tag] = await stack.push(tag, `enforce-mixed ${tag}\n`);
    for (const kind of kinds) {
      if (kind === 'dct') await stack.signDct(tag);
      else if (kind === 'notation') await stack.signNotation(image.manifest.digest);
      else await stack.signCosign(`${stack.repo}@${image.manifest.digest}`, kind === 'cosign' ? 'security' : 'stranger');
    }
  }
  policy = stack.policyFile('prod', { signers: [...MIXED_SIGNERS], threshold: 2 });
  wrongKeyPolicy = stack.policyFile('prod-wrong-key', { signers: [...MIXED_SIGNERS], threshold: 2 }, { security: '{ cosign: { key: stranger.pub } }' });
});

after(async () => {
  await stack?.close();
  await removeTempDirs();
});

// What a denial says: the rule's signers, who signed, and each signer it lacks with why.
const NEED = 'needs 2 distinct signers on one digest out of ci \\(notation\\), release-bot, security \\(cosign\\), but sha256:[0-9a-f]{12}… has 1';
const NO_NOTATION = 'ci \\(notation\\) did not verify \\(no signature is associated with';
const LACKS_TWO = `${NEED} \\(security \\(cosign\\)\\); release-bot \\(dct\\) did not sign sha256:[0-9a-f]{12}…; ${NO_NOTATION}`;
const STRANGER = `${NEED} \\(release-bot\\); ${NO_NOTATION} .*\\); security \\(cosign\\) did not verify \\(.*does not verify with the given public key`;

/** The fixture with its images in the test repository: team/app:1.0 → `tag`, team/app:staging-1 → `sidecar`. */
function reviewOf(name: FixtureName, tag: Tag, sidecar: Tag = tag): string {
  return reviewText(name, host).replaceAll('team/app:1.0', `enforce/app:${tag}`).replaceAll('team/app:staging-1', `enforce/app:${sidecar}`);
}

describe('vouch admission: one policy, 2 of 3 signers of mixed kinds', () => {
  let hook: SpawnedServer;
  let wrongKeyHook: SpawnedServer;
  let ca: Buffer;

  before(async () => {
    const dir = await tempDir('vouch-enforce-admission-');
    const key = join(dir, 'tls.key');
    const cert = join(dir, 'tls.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=vouch-admission.vouch.svc', '-addext', 'subjectAltName=DNS:vouch-admission.vouch.svc,IP:127.0.0.1'], { stdio: 'ignore' });
    ca = readFileSync(cert);
    // The policy as the pod sees it: `vouch admission manifests` puts it and the files its signers
    // name in a ConfigMap; here they are projected into a directory as the kubelet mounts them.
    const printed = await stack.owner.run(['admission', 'manifests', '--namespace', 'vouch', '--cert', cert, '--key', key, '--policy', policy]);
    assert.equal(printed.code, 0, printed.stderr);
    const objects = parseAllDocuments(printed.stdout).map((d) => d.toJS() as Record<string, never>);
    const configMap = objects.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string>; binaryData: Record<string, string> };
    const volumes = (objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { volumes: { name: string; configMap?: { items: { key: string; path: string }[] } }[] } } } }).spec.template.spec.volumes;
    const mounted = join(dir, 'etc-vouch-policy');
    // without `items`, the kubelet mounts every key as a file of that name
    const items = volumes.find((v) => v.name === 'policy')?.configMap?.items ?? Object.keys(configMap.data).map((k) => ({ key: k, path: k }));
    for (const { key: k, path } of items) {
      await mkdir(dirname(join(mounted, path)), { recursive: true });
      await writeFile(join(mounted, path), configMap.data[k] ?? Buffer.from(configMap.binaryData[k] as string, 'base64'));
    }
    // The webhook's trust client: the trust server and a trust directory of its own (docs/admission.md).
    const env = (await vouchUser(stack.server.url)).env;
    const start = (file: string): Promise<SpawnedServer> => spawnServer(['--addr', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key, '--policy', file], env, 'admission');
    [hook, wrongKeyHook] = await Promise.all([start(join(mounted, 'policy.yaml')), start(wrongKeyPolicy)]);
  });
  after(async () => {
    await hook?.stop();
    await wrongKeyHook?.stop();
  });

  /** POSTs a review as the API server does (with its ?timeout=) and checks the envelope it requires. */
  async function review(to: SpawnedServer, path: '/validate' | '/mutate', body: string): Promise<Answered['response']> {
    const r = await httpRequestTo(`${to.url}${path}?timeout=10s`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, ca });
    assert.equal(r.status, 200, r.body.toString());
    const a = JSON.parse(r.body.toString()) as Answered;
    assert.equal(a.apiVersion, 'admission.k8s.io/v1');
    assert.equal(a.response.uid, (JSON.parse(body) as { request: { uid: string } }).request.uid);
    if (path === '/validate') assert.equal(a.response.patch, undefined);
    return a.response;
  }

  test('a Pod whose images two kinds signed (Notation + cosign, DCT + Notation) is allowed and pinned to the digests they signed', async () => {
    const body = reviewOf('pod-create', 'notation-cosign', 'dct-notation');
    const v = await review(hook, '/validate', body);
    assert.equal(v.allowed, true, v.status?.message);
    const m = await review(hook, '/mutate', body);
    assert.equal(m.allowed, true, m.status?.message);
    const pod = patched(body, m);
    assert.equal(at(pod, '/spec/initContainers/0/image'), `${stack.repo}:notation-cosign@${img['notation-cosign']!.manifest.digest}`);
    assert.equal(at(pod, '/spec/containers/0/image'), `${stack.repo}:notation-cosign@${img['notation-cosign']!.manifest.digest}`);
    assert.equal(at(pod, '/spec/containers/1/image'), `${stack.repo}:dct-notation@${img['dct-notation']!.manifest.digest}`);
  });

  test('a Deployment whose image DCT and cosign signed is allowed and its template pinned', async () => {
    const body = reviewOf('deployment-create', 'dct-cosign');
    const m = await review(hook, '/mutate', body);
    assert.equal(m.allowed, true, m.status?.message);
    assert.equal(at(patched(body, m), '/spec/template/spec/containers/0/image'), `${stack.repo}:dct-cosign@${img['dct-cosign']!.manifest.digest}`);
  });

  test('signed by one kind only: denied, naming the image, the rule and the missing signers; never pinned', async () => {
    const body = reviewOf('deployment-create', 'cosign-only');
    const v = await review(hook, '/validate', body);
    assert.equal(v.allowed, false);
    assert.match(v.status?.message ?? '', new RegExp(`^vouch admission denied 1 of 1 images: image "${host}/enforce/app:cosign-only" \\(container "app"\\) is denied by rule 'prod': check 'threshold' failed: ${LACKS_TWO}`));
    const m = await review(hook, '/mutate', body);
    assert.equal(m.allowed, false);
    assert.equal(m.patch, undefined);
  });

  test('a cosign signer with the wrong key fails: DCT + a stranger\'s cosign signature is denied; the policy naming the stranger\'s key allows it', async () => {
    const body = reviewOf('deployment-create', 'dct-stranger');
    const v = await review(hook, '/validate', body);
    assert.equal(v.allowed, false);
    assert.match(v.status?.message ?? '', new RegExp(`is denied by rule 'prod': check 'threshold' failed: ${STRANGER}`));
    const stranger = await review(wrongKeyHook, '/mutate', body);
    assert.equal(stranger.allowed, true, stranger.status?.message);
    // and the security team's signature does not verify with the stranger's key
    const own = await review(wrongKeyHook, '/validate', reviewOf('deployment-create', 'cosign-only'));
    assert.equal(own.allowed, false);
  });
});

describe('vouch gate: one policy, 2 of 3 signers of mixed kinds', () => {
  let gate: SpawnedServer;
  let gateHost: string;
  let crane: string;
  let clientHome: string;

  before(async () => {
    crane = await goPeerBinary('crane');
    const dir = await tempDir('vouch-enforce-gate-');
    const config = join(dir, 'gate.yaml');
    await writeFile(config, `upstreams:\n  - prefix: ""\n    url: ${stack.peers.registryUrl}\n    trustServer: ${stack.server.url}\n`);
    gate = await spawnServer(['--config', config, '--policy', policy, '--addr', '127.0.0.1:0'], (await vouchUser(stack.server.url)).env, 'gate');
    gateHost = new URL(gate.url).host;
    clientHome = await tempDir('vouch-enforce-clients-');
  });
  after(async () => { await gate?.stop(); });

  const skopeo = (args: string[]): Promise<RunResult> => run('skopeo', ['--insecure-policy', ...args], { env: { HOME: clientHome }, timeoutMs: 180_000 });
  const craneRun = (args: string[]): Promise<RunResult> => run(crane, [...args, '--insecure'], { env: { HOME: clientHome, DOCKER_CONFIG: clientHome }, timeoutMs: 120_000 });
  const through = (tag: Tag): string => `${gateHost}/enforce/app:${tag}`;
  function check(r: RunResult, what: string): string {
    assert.equal(r.code, 0, `${what} failed (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  test('signed by two kinds: skopeo copies and crane resolves the digest the signers signed', async () => {
    for (const tag of ['notation-cosign', 'dct-notation', 'dct-cosign'] as const) {
      const out = await tempDir('vouch-enforce-pulled-');
      check(await skopeo(['copy', '--quiet', '--src-tls-verify=false', `docker://${through(tag)}`, `oci:${out}:${tag}`]), `skopeo copy ${tag}`);
      const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      assert.equal(index.manifests[0]?.digest, img[tag]!.manifest.digest, tag);
      assert.equal(check(await craneRun(['digest', through(tag)]), `crane digest ${tag}`).trim(), img[tag]!.manifest.digest, tag);
    }
  });

  test('signed by one kind, or by DCT and a stranger\'s cosign key: DENIED naming the rule and the signers it lacks', async () => {
    const one = await skopeo(['inspect', '--tls-verify=false', `docker://${through('cosign-only')}`]);
    assert.notEqual(one.code, 0);
    assert.match(one.stderr, new RegExp(`denied: enforce/app:cosign-only: denied by rule 'prod' \\(${host}/enforce/\\*\\*\\): threshold: ${LACKS_TWO}`));
    const c = await craneRun(['manifest', through('cosign-only')]);
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /DENIED: enforce\/app:cosign-only: denied by rule 'prod'/);
    const stranger = await skopeo(['inspect', '--tls-verify=false', `docker://${through('dct-stranger')}`]);
    assert.notEqual(stranger.code, 0);
    assert.match(stranger.stderr, new RegExp(`denied by rule 'prod' .*threshold: ${STRANGER}`));
  });
});
