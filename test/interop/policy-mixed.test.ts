// One policy over all three signature kinds, end to end (issue 13, deliverable 6): ONE image in the
// REAL CNCF registry signed with DCT, Notation (the REAL notation) and cosign (test/support/mixed.ts;
// and a Sigstore bundle referrer made by the REAL cosign v3); the vouch CLI verifies it under k-of-n
// rules across kinds, pulls it, and refuses wrong keys and identities. A missing peer is a failure,
// never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoImage } from '../../src/cli/demoimage.js';
import type { Decision } from '../../src/policy/index.js';
import { MIXED_SIGNERS, startMixedStack, type MixedStack } from '../support/mixed.js';
import { goPeerBinary } from '../support/gopeers.js';
import { run } from '../support/peers.js';
import { removeTempDirs, type VouchUser } from '../unit/client/helpers.js';

let stack: MixedStack;
let image: DemoImage;
let owner: VouchUser;
let repo: string;

before(async () => {
  stack = await startMixedStack('mixed/payments/api', 'vouch-policy-mixed-');
  ({ owner, repo } = stack);
  image = await stack.push('1.0', 'one image, three kinds of signature\n');
});

after(async () => {
  await stack?.close();
  await removeTempDirs();
});

const policyFile = (...args: Parameters<MixedStack['policyFile']>): string => stack.policyFile(...args);

type VerifyJson = { allowed: boolean; decision?: Decision; error?: { code: string } }[];
async function verify(file: string): Promise<{ code: number; d: Decision; stderr: string; stdout: string }> {
  const r = await owner.run(['verify', `${repo}:1.0`, '--policy', file, '--json']);
  const [one] = JSON.parse(r.stdout) as VerifyJson;
  assert.ok(one?.decision, r.stdout + r.stderr);
  return { code: r.code, d: one.decision, stderr: r.stderr, stdout: r.stdout };
}
const statusOf = (d: Decision, signer: string): string[] => d.signatures.filter((s) => s.signer === signer).map((s) => s.status);
const ALL3 = [...MIXED_SIGNERS];

test('cosign alone: 2 of 3 is denied (failed), and the report lists every signer and check', async () => {
  await stack.signCosign(`${repo}:1.0`);
  const { code, d, stderr } = await verify(policyFile('prod', { signers: ALL3, threshold: 2 }));
  assert.equal(code, 1);
  assert.equal(d.outcome, 'failed');
  assert.match(stderr, /"code":"POLICY_DENIED"/);
  assert.deepEqual(statusOf(d, 'security'), ['passed']);
  assert.deepEqual(statusOf(d, 'ci'), ['failed']);
  assert.equal(d.reasons.find((r) => r.check === 'threshold')?.status, 'fail');
  assert.deepEqual(d.signatures.find((s) => s.signer === 'security')?.checks.map((c) => `${c.check}:${c.status}`), ['signature:passed', 'claims:passed', 'tlog:skipped']);
  assert.equal(d.rule.name, 'prod');
});

test('cosign + Notation (signed by the real notation): 2 of 3 passes without any DCT data; all does not', async () => {
  await stack.signNotation(image.manifest.digest);
  const two = await verify(policyFile('prod', { signers: ALL3, threshold: 2 }));
  assert.equal(two.code, 0, two.stdout + two.stderr);
  assert.equal(two.d.digest, image.manifest.digest);
  assert.deepEqual(statusOf(two.d, 'ci'), ['passed']);
  assert.ok(two.d.signatures.find((s) => s.signer === 'ci')?.checks.some((c) => c.check === 'authenticity' && c.status === 'passed'));
  const all = await verify(policyFile('all', { signers: ALL3, threshold: 'all' }));
  assert.equal(all.code, 1);
  assert.match(all.d.reasons.find((r) => r.check === 'threshold')?.message ?? '', /needs 3 distinct signers/);
});

test('with DCT too: any two pass, threshold all passes, and pull fetches the digest the signers agreed on', async () => {
  await stack.signDct('1.0');
  for (const pair of [['release-bot', 'ci'], ['release-bot', 'security'], ['ci', 'security']]) {
    const r = await verify(policyFile(`pair-${pair.join('-')}`, { signers: pair, threshold: 2 }));
    assert.equal(r.code, 0, `${pair.join('+')}: ${r.stdout}`);
    assert.equal(r.d.signatures.filter((s) => s.counted).length, 2);
  }
  // notation's own trust policy and trust store, referenced as they are
  const own = await verify(policyFile('own-trust-policy', { signers: ['release-bot', 'ci'], threshold: 2 }, {
    ci: '{ notation: { trustPolicy: notation-home/config/notation/trustpolicy.json, trustStoreDir: notation-home/config/notation } }',
  }));
  assert.equal(own.code, 0, own.stdout);
  assert.match(own.d.signatures.find((s) => s.signer === 'ci')?.message ?? '', /trust policy 'global', level strict/);
  // "all of" groups: the DCT signer, and one of the OCI signers
  const groups = '[{ signers: [release-bot], threshold: 1 }, { signers: [ci, security], threshold: 1 }]';
  const composed = await verify(policyFile('composed', { signers: ALL3, threshold: 2, require: groups }));
  assert.equal(composed.code, 0, composed.stdout);
  assert.equal(composed.d.reasons.find((r) => r.check === 'require')?.status, 'pass');
  const noOci = await verify(policyFile('composed-wrong', { signers: ALL3, threshold: 2, require: groups }, {
    security: '{ cosign: { key: stranger.pub } }',
    ci: '{ notation: { trustStore: "ca:acme", identities: ["x509.subject: C=US, ST=WA, O=Other"], trustStoreDir: notation-home/config/notation } }',
  }));
  assert.equal(noOci.code, 1);
  assert.match(noOci.d.reasons.find((r) => r.check === 'require')?.message ?? '', /^group 2 \(1 of ci \(notation\), security \(cosign\)\): 0 on/);
  const all = await verify(policyFile('all', { signers: ALL3, threshold: 'all' }));
  assert.equal(all.code, 0, all.stdout);
  assert.deepEqual(all.d.signatures.filter((s) => s.counted).map((s) => s.kind).sort(), ['cosign', 'dct', 'notation']);
  const text = await owner.run(['verify', `${repo}:1.0`, '--policy', policyFile('all', { signers: ALL3, threshold: 'all' })]);
  assert.match(text.stdout, /signature\s+passed\s+notation ci on sha256:[0-9a-f]{64} \(counted\)/);
  assert.match(text.stdout, /signature\s+passed\s+cosign security on sha256:[0-9a-f]{64} \(counted\)/);
  // pin: the deployment file gets the digest the signers of every kind agreed on
  const deploy = join(owner.dir, 'deploy.yaml');
  writeFileSync(deploy, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\nspec:\n  containers:\n    - name: api\n      image: ${repo}:1.0\n`);
  const pinned = await owner.run(['pin', deploy, '--policy', policyFile('all', { signers: ALL3, threshold: 'all' })]);
  assert.equal(pinned.code, 0, pinned.stdout + pinned.stderr);
  assert.match(readFileSync(deploy, 'utf8'), new RegExp(`image: ${repo}:1.0@${image.manifest.digest}`));
  const to = join(owner.dir, 'pulled');
  const pull = await owner.run(['pull', `${repo}:1.0`, '--verify', '--policy', policyFile('all', { signers: ALL3, threshold: 'all' }), '--to', `oci:${to}`]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, new RegExp(`Digest: ${image.manifest.digest}`));
});

test('a wrong cosign key and a wrong Notation identity fail; a missing key file is inconclusive', async () => {
  const wrongKey = await verify(policyFile('wrong-key', { signers: ['ci', 'security'], threshold: 2 }, { security: '{ cosign: { key: stranger.pub } }' }));
  assert.equal(wrongKey.code, 1);
  assert.equal(wrongKey.d.outcome, 'failed');
  assert.deepEqual(statusOf(wrongKey.d, 'security'), ['failed']);
  assert.match(wrongKey.d.signatures.find((s) => s.signer === 'security')?.message ?? '', /does not verify with the given public key/);

  const wrongId = await verify(policyFile('wrong-id', { signers: ['ci', 'security'], threshold: 2 }, {
    ci: '{ notation: { trustStore: "ca:acme", identities: ["x509.subject: C=US, ST=WA, O=Acme, CN=someone-else"], trustStoreDir: notation-home/config/notation } }',
  }));
  assert.equal(wrongId.code, 1);
  assert.deepEqual(statusOf(wrongId.d, 'ci'), ['failed']);
  assert.ok(wrongId.d.signatures.find((s) => s.signer === 'ci')?.checks.some((c) => c.check === 'authenticity' && c.status === 'failed'));

  const missing = await verify(policyFile('missing', { signers: ['ci', 'security'], threshold: 2 }, { security: '{ cosign: { key: nowhere.pub } }' }));
  assert.equal(missing.code, 1);
  assert.equal(missing.d.outcome, 'inconclusive');
  assert.match(missing.stderr, /"code":"POLICY_INCONCLUSIVE"/);
});

test('a cosign signer satisfied by a Sigstore bundle the real cosign v3 signed (its default format) counts in 2 of 3 with DCT and Notation', async () => {
  const cosign3 = await goPeerBinary('cosign3');
  const env = { HOME: owner.dir, DOCKER_CONFIG: join(owner.dir, '.docker'), COSIGN_PASSWORD: owner.env.COSIGN_PASSWORD as string, COSIGN_YES: 'true', SSL_CERT_FILE: stack.peers.ca };
  const cosign = (args: string[]): ReturnType<typeof run> => run(cosign3, args, { env, cwd: owner.dir, timeoutMs: 120_000 });
  const keys = await cosign(['generate-key-pair', '--output-key-prefix', 'v3team']);
  assert.equal(keys.code, 0, keys.stderr);
  const v3team = { v3team: '{ cosign: { key: v3team.pub } }' };
  const before = await verify(policyFile('v3-pair', { signers: ['ci', 'v3team'], threshold: 2 }, v3team));
  assert.equal(before.code, 1);
  assert.deepEqual(statusOf(before.d, 'v3team'), ['failed'], 'no bundle yet: the .sig tag holds only the security key\'s signature');
  const signed = await cosign(['sign', '--key', 'v3team.key', '--tlog-upload=false', '--use-signing-config=false', `${repo}@${image.manifest.digest}`]);
  assert.equal(signed.code, 0, signed.stdout + signed.stderr);
  // release-bot (DCT) and v3team (the cosign v3 bundle) make 2 of 3 while ci's identity is wrong
  const wrongCi = { ci: '{ notation: { trustStore: "ca:acme", identities: ["x509.subject: C=US, ST=WA, O=Acme, CN=someone-else"], trustStoreDir: notation-home/config/notation } }' };
  const two = await verify(policyFile('v3-two-of-three', { signers: ['release-bot', 'ci', 'v3team'], threshold: 2 }, { ...v3team, ...wrongCi }));
  assert.equal(two.code, 0, two.stdout + two.stderr);
  assert.deepEqual(statusOf(two.d, 'ci'), ['failed']);
  const v3 = two.d.signatures.filter((s) => s.signer === 'v3team' && s.status === 'passed');
  assert.equal(v3.length, 1, two.stdout);
  assert.equal(v3[0]?.counted, true);
  assert.deepEqual(v3[0]?.checks.map((c) => `${c.check}:${c.status}`), ['signature:passed', 'claims:passed']);
  assert.deepEqual(two.d.signatures.filter((s) => s.counted).map((s) => s.kind).sort(), ['cosign', 'dct']);
  // and ci (the real notation) with it: 2 of 3 without the DCT signer's signature counted
  const pair = await verify(policyFile('v3-pair', { signers: ['ci', 'v3team'], threshold: 2 }, v3team));
  assert.equal(pair.code, 0, pair.stdout);
  // the security key did not make the bundle
  const stranger = await verify(policyFile('v3-stranger', { signers: ['release-bot', 'ci', 'v3team'], threshold: 2 }, { ...wrongCi, v3team: '{ cosign: { key: stranger.pub } }' }));
  assert.equal(stranger.code, 1);
  assert.ok(stranger.d.signatures.filter((s) => s.signer === 'v3team').every((s) => s.status === 'failed'), stranger.stdout);
});
