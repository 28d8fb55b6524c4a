// vouch migrate against an in-process vouch server and registry: every DCT-signed (tag, role)
// becomes a cosign signature made with the role's mapped key, carrying its provenance; --dry-run
// and --check sign nothing; a second run signs nothing new; trust data that does not verify
// migrates nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { parse } from 'yaml';
import { validatePolicyObject } from '../../../src/policy/validate.js';
import { join } from 'node:path';
import type { RunningRegistry } from '../../../src/registry/index.js';
import type { RunningServer } from '../../../src/server/index.js';
import { removeTempDirs, tempDir, startSignedStack, type VouchUser } from '../client/helpers.js';
import { globalPolicy, makeNotationHome } from '../../support/notation.js';
import { writeSigningChain } from '../../support/x509.js';

let server: RunningServer;
let registry: RunningRegistry;
let owner: VouchUser;
let repo: string;
let dir: string;
let PASS: Record<string, string> = { COSIGN_PASSWORD: 'migrate-pass' };

before(async () => {
  dir = await tempDir('vouch-migrate-');
  ({ server, registry, repo, owner } = await startSignedStack(dir, ['1.0', '2.0'], 'migrate\n'));
  for (const prefix of ['alice', 'release']) {
    const r = await owner.run(['cosign', 'generate-key-pair', '--output-key-prefix', join(dir, prefix)], PASS);
    assert.equal(r.code, 0, r.stderr);
  }
  await writeFile(join(dir, 'alice-only.yaml'), 'signers:\n  alice: { cosign: alice.key }\n');
  await writeFile(join(dir, 'both.yaml'), 'signers:\n  alice: { cosign: alice.key }\n  targets/releases: { cosign: release.key }\n');
  // Notation: alice by key and certificate files; targets/releases by a key of notation's signingkeys.json
  const days = (n: number): Date => new Date(Date.now() + n * 86_400_000);
  const alice = await writeSigningChain(dir, 'alice-notation', { leafSubject: 'C=US, ST=WA, O=Vouch Test, CN=alice', leafNotAfter: days(20), rootNotAfter: days(40) });
  const renewed = await writeSigningChain(dir, 'alice-renewed', { leafSubject: 'C=US, ST=WA, O=Vouch Test, CN=alice', leafNotAfter: days(20), rootNotAfter: days(40) });
  const release = await writeSigningChain(dir, 'release-notation', { leafSubject: 'C=US, ST=WA, O=Vouch Test, CN=release', leafNotAfter: days(20), rootNotAfter: days(40) });
  await writeFile(join(dir, 'roots.crt'), `${alice.root.toString('pem')}\n${renewed.root.toString('pem')}\n${release.root.toString('pem')}\n`);
  const env = await makeNotationHome(await tempDir('vouch-migrate-notation-'), {
    trustStores: { migrated: [join(dir, 'roots.crt')] },
    policy: globalPolicy('strict', ['ca:migrated'], ['*']),
    signingKeys: { release: { key: release.key, chain: release.cert, leaf: release.cert } },
  });
  PASS = { ...PASS, XDG_CONFIG_HOME: env.XDG_CONFIG_HOME as string };
  await writeFile(join(dir, 'notation.yaml'), 'signers:\n  alice: { cosign: alice.key, notation: { key: alice-notation.key, cert: alice-notation.crt } }\n  targets/releases: { cosign: release.key, notation: release }\n');
  await writeFile(join(dir, 'renewed.yaml'), 'signers:\n  alice: { notation: { key: alice-renewed.key, cert: alice-renewed.crt } }\n');
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  await writeFile(join(dir, 'other.key'), other);
  await writeFile(join(dir, 'mismatch.yaml'), 'signers:\n  alice: { notation: { key: other.key, cert: release-notation.crt } }\n');
});

after(async () => {
  await server?.close();
  await registry?.close();
  await removeTempDirs();
});

interface Planned { items: Array<{ tag: string; role: string; action: string; to: string; digest: string; signature?: string }>; summary: Record<string, number> }
const migrate = async (args: string[]): Promise<{ code: number; plans: Planned[]; stderr: string }> => {
  const r = await owner.run(['migrate', '--json', ...args], PASS);
  return { code: r.code, plans: r.stdout ? JSON.parse(r.stdout) as Planned[] : [], stderr: r.stderr };
};
const verifyAs = (pub: string, role: string, tag: string): ReturnType<VouchUser['run']> =>
  owner.run(['cosign', 'verify', '--key', join(dir, pub), '--insecure-ignore-tlog', '-a', `dev.vouch.dct.role=${role}`, '-a', `dev.vouch.dct.gun=${repo}`, `${repo}:${tag}`]);

test('--dry-run and --check plan without signing; --check fails while signatures are missing', async () => {
  const dry = await migrate(['--map', join(dir, 'alice-only.yaml'), '--dry-run', repo]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(dry.plans[0]?.summary, { migrated: 2, present: 0, unmapped: 2, refused: 0, unsigned: 0 });
  assert.deepEqual(dry.plans[0]?.items.filter((i) => i.action === 'sign').map((i) => `${i.tag} ${i.role}`), ['1.0 targets/alice', '2.0 targets/alice']);
  assert.equal((await verifyAs('alice.pub', 'targets/alice', '1.0')).code, 1, 'a dry run signs nothing');
  assert.equal((await migrate(['--map', join(dir, 'alice-only.yaml'), '--check', repo])).code, 1);
});

test('a run signs each mapped (tag, role) with provenance; the second run signs nothing new; --check passes once all are mapped and made', async () => {
  const first = await migrate(['--map', join(dir, 'alice-only.yaml'), repo]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.plans[0]?.summary.migrated, 2);
  for (const tag of ['1.0', '2.0']) {
    const v = await verifyAs('alice.pub', 'targets/alice', tag);
    assert.equal(v.code, 0, v.stderr);
    const [payload] = JSON.parse(v.stdout) as Array<{ optional: Record<string, string> }>;
    assert.equal(payload?.optional['dev.vouch.migrated-from'], 'dct');
    assert.match(payload?.optional['dev.vouch.dct.keyids'] ?? '', /^[0-9a-f]{64}$/);
    assert.match(payload?.optional['dev.vouch.dct.version'] ?? '', /^[1-9]\d*$/);
  }
  const again = await migrate(['--map', join(dir, 'alice-only.yaml'), repo]);
  assert.deepEqual(again.plans[0]?.summary, { migrated: 0, present: 2, unmapped: 2, refused: 0, unsigned: 0 });

  const text = await owner.run(['migrate', '--map', join(dir, 'both.yaml'), `${repo}:1.0`, `${repo}:9.9`], PASS);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /1\.0 +sha256:[0-9a-f]{12}…  targets\/alice +cosign +already signed/);
  assert.match(text.stdout, /1\.0 +sha256:[0-9a-f]{12}…  targets\/releases +cosign +signed/);
  assert.match(text.stdout, /9\.9 +not signed under DCT: nothing to migrate/);
  // 1.0 and 2.0 are one image (one digest): the releases signature made for 1.0 covers 2.0 too
  assert.equal((await migrate(['--map', join(dir, 'both.yaml'), repo])).plans[0]?.summary.migrated, 0);
  const done = await migrate(['--map', join(dir, 'both.yaml'), '--check', repo]);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.plans[0]?.summary.present, 4);
});

test('trust data that does not verify (a pinned root it does not match) migrates nothing', async () => {
  const pin = join(dir, 'pin.json');
  await writeFile(pin, JSON.stringify({ trust_pinning: { certs: { [repo]: ['0'.repeat(64)] } } }));
  const fresh = await startFresh();
  const r = await fresh(['migrate', '--map', join(dir, 'both.yaml'), '--trust-pinning', pin, `${repo}:1.0`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /pin|root/i);
});

const notationVerify = (digest: string, role: string): ReturnType<VouchUser['run']> =>
  owner.run(['notation', 'verify', '-m', `dev.vouch.dct.role=${role}`, '-m', `dev.vouch.dct.gun=${repo}`, '-m', 'dev.vouch.migrated-from=dct', `${repo}@${digest}`], PASS);

test('--to notation,cosign: one Notation signature per (digest, role) with the provenance as user metadata, verified; a second run finds each by its leaf and provenance', async () => {
  const dry = await migrate(['--map', join(dir, 'notation.yaml'), '--to', 'notation,cosign', '--dry-run', repo]);
  assert.equal(dry.code, 0, dry.stderr);
  const notation = (p: Planned | undefined) => (p?.items ?? []).filter((i) => i.to === 'notation');
  assert.deepEqual(notation(dry.plans[0]).map((i) => `${i.tag} ${i.role} ${i.action}`).sort(),
    ['1.0 targets/alice sign', '1.0 targets/releases sign', '2.0 targets/alice sign', '2.0 targets/releases sign']);
  const digest = notation(dry.plans[0])[0]?.digest as string;
  assert.notEqual((await notationVerify(digest, 'targets/alice')).code, 0, 'a dry run signs nothing');

  const first = await migrate(['--map', join(dir, 'notation.yaml'), '--to', 'notation,cosign', repo]);
  assert.equal(first.code, 0, first.stderr);
  const made = notation(first.plans[0]);
  assert.ok(made.every((i) => i.action === 'sign' && /^sha256:[0-9a-f]{64}$/.test(i.signature ?? '')), JSON.stringify(made));
  // 1.0 and 2.0 are one digest: one Notation signature per role, named by both tags' items
  assert.equal(new Set(made.map((i) => i.signature)).size, 2);
  assert.ok((first.plans[0]?.items ?? []).filter((i) => i.to === 'cosign').every((i) => i.action === 'present'), 'the cosign signatures of the earlier test are found');
  for (const role of ['targets/alice', 'targets/releases']) {
    const v = await notationVerify(digest, role);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /dev\.vouch\.dct\.keyids +[0-9a-f]{64}/);
  }
  const wrongRole = await owner.run(['notation', 'verify', '-m', 'dev.vouch.dct.role=targets/mallory', `${repo}@${digest}`], PASS);
  assert.equal(wrongRole.code, 1, 'the provenance is signed: another role is not claimed');

  const again = await migrate(['--map', join(dir, 'notation.yaml'), '--to', 'notation', repo]);
  assert.deepEqual(again.plans[0]?.summary, { migrated: 0, present: 4, unmapped: 0, refused: 0, unsigned: 0 });
  assert.deepEqual(new Set(notation(again.plans[0]).map((i) => i.signature)), new Set(made.map((i) => i.signature)));
  const check = await migrate(['--map', join(dir, 'notation.yaml'), '--to', 'cosign,notation', '--check', repo]);
  assert.equal(check.code, 0, check.stderr);

  // the same role with another certificate is another identity: its signature is still missing
  const renewed = await migrate(['--map', join(dir, 'renewed.yaml'), '--to', 'notation', '--check', repo]);
  assert.equal(renewed.code, 1);
  assert.equal(renewed.plans[0]?.summary.migrated, 2);
});

test('--signature-format cose makes COSE signatures that verify; a key that is not the certificate\'s is refused before anything is signed', async () => {
  const cose = await migrate(['--map', join(dir, 'renewed.yaml'), '--to', 'notation', '--signature-format', 'cose', `${repo}:1.0`]);
  assert.equal(cose.code, 0, cose.stderr);
  const item = cose.plans[0]?.items[0];
  assert.equal(item?.action, 'sign');
  const inspect = await owner.run(['notation', 'inspect', '--output', 'json', `${repo}@${item?.digest ?? ''}`], PASS);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.match(inspect.stdout, /application\/cose/);
  assert.equal((await notationVerify(item?.digest as string, 'targets/alice')).code, 0);

  const bad = await owner.run(['migrate', '--map', join(dir, 'mismatch.yaml'), '--to', 'notation', repo], PASS);
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /not the key of the certificate chain's first \(leaf\) certificate/);
  const unknown = await owner.run(['migrate', '--map', join(dir, 'notation.yaml'), '--to', 'notary', repo], PASS);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--to notary: vouch migrates to cosign, notation/);
});

test('--write-policy: the DCT trust (signers, threshold, settings) given to the new identities, one kind per signer; the rules pass the validator; trust that cannot be kept writes nothing', async () => {
  const out = join(dir, 'migrated-policy.yaml');
  const r = await owner.run(['migrate', '--map', join(dir, 'notation.yaml'), '--to', 'notation,cosign', '--dry-run', '--write-policy', out, repo], PASS);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Wrote the policy for the migrated signers to /);
  const doc = parse(await readFile(out, 'utf8')) as { version: number; signers: Record<string, unknown>; rules: Array<Record<string, unknown>> };
  // the built-in policy: any signer, 1 of them; targets/releases holds every signer's key, so only alice is a signer
  assert.deepEqual(doc.signers, { 'alice-notation': { notation: { trustStore: 'ca:migrated', identities: ['x509.subject: C=US, ST=WA, O=Vouch Test, CN=alice'], level: 'strict' } } });
  assert.deepEqual(doc.rules, [{
    name: `migrated from DCT: ${repo}`, repositories: [repo], signers: ['alice-notation'], threshold: 1,
    mode: 'enforce', rejectUnsigned: true, requirePin: false, requireAgreement: false,
  }]);
  const validated = validatePolicyObject(doc);
  assert.deepEqual(validated.errors, []);
  assert.equal(validated.policy?.rules.length, 1);
  // The same verdict after the move as before it, now from the new kind alone: the rule names only
  // the Notation identity, so the DCT signatures cannot be what passes (the Notation signatures were
  // made by the --to notation,cosign test above).
  const before = await owner.run(['verify', '--json', `${repo}:1.0`], PASS);
  const afterMove = await owner.run(['verify', '--json', '--policy', out, `${repo}:1.0`], PASS);
  assert.equal(before.code, 0, before.stderr);
  assert.equal(afterMove.code, 0, afterMove.stderr);
  const [verdict] = JSON.parse(afterMove.stdout) as Array<{ decision: { digest: string; signatures: Array<{ kind: string; signer: string; status: string; counted: boolean }> } }>;
  const [dct] = JSON.parse(before.stdout) as Array<{ decision: { digest: string } }>;
  assert.equal(verdict?.decision.digest, dct?.decision.digest);
  assert.ok(verdict?.decision.signatures.some((x) => x.kind === 'notation' && x.signer === 'alice-notation' && x.status === 'passed' && x.counted), afterMove.stdout);

  // the policy in force names alice and asks for a pin: kept, with cosign as the first kind
  const current = join(dir, 'current.yaml');
  await writeFile(current, `version: 1\nrules:\n  - repositories: ["${repo}"]\n    signers: [alice]\n    threshold: 1\n    requirePin: true\n`);
  const cosignFirst = await owner.run(['migrate', '--map', join(dir, 'notation.yaml'), '--to', 'cosign,notation', '--check', '--policy', current, '--write-policy', out, repo], PASS);
  assert.equal(cosignFirst.code, 0, cosignFirst.stderr);
  const doc2 = parse(await readFile(out, 'utf8')) as typeof doc;
  assert.deepEqual(doc2.signers, { 'alice-cosign': { cosign: { key: 'alice.pub' } } }, 'the .pub beside the mapped cosign.key');
  assert.equal(doc2.rules[0]?.requirePin, true);

  await writeFile(current, `version: 1\nrules:\n  - repositories: ["${repo}"]\n    signers: [alice, "Repo Admin"]\n    threshold: 2\n`);
  const gone = join(dir, 'not-written.yaml');
  const refused = await owner.run(['migrate', '--map', join(dir, 'notation.yaml'), '--to', 'notation', '--dry-run', '--policy', current, '--write-policy', gone, repo], PASS);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /the policy allows Repo Admin, who has no notation key in the mapping: the same trust cannot be written/);
  assert.equal(existsSync(gone), false);

  // a certificate whose subject notation cannot name as a trusted identity (no ST): said, nothing written
  await writeSigningChain(dir, 'alice-nost', { leafSubject: 'C=US, O=Vouch Test, CN=alice', leafNotAfter: new Date(Date.now() + 20 * 86_400_000), rootNotAfter: new Date(Date.now() + 40 * 86_400_000) });
  await writeFile(join(dir, 'nost.yaml'), 'signers:\n  alice: { notation: { key: alice-nost.key, cert: alice-nost.crt } }\n');
  const noSt = await owner.run(['migrate', '--map', join(dir, 'nost.yaml'), '--to', 'notation', '--dry-run', '--write-policy', gone, repo], PASS);
  assert.notEqual(noSt.code, 0);
  assert.match(noSt.stderr, /does not validate[\s\S]*lacks ST/);
  assert.equal(existsSync(gone), false);
});

/** A user without cached trust data (so the pin applies), sharing the owner's environment otherwise. */
async function startFresh(): Promise<(args: string[]) => ReturnType<VouchUser['run']>> {
  const home = await tempDir('vouch-migrate-fresh-');
  return (args) => owner.run(args, { ...PASS, HOME: home, DOCKER_CONFIG: join(home, '.docker') });
}
