// The status model with Notation material: each signature's chain and own expiry become expiry
// items (certificates once per thumbprint), and they decide "what breaks first", the state and the
// exit status exactly as DCT expiries do: an expired leaf is `expired` (exit 2), an intermediate
// expiring within the horizon is `expiring` (exit 1), a signature whose own expiry comes first
// breaks first, a signature that does not verify is `expired` with its reason, and a registry
// that could not be read is `unverified` (exit 2), never "no signatures".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withSignatures, type RepoStatus } from '../../../src/client/status.js';
import type { ImageSignatures, ReadSignature } from '../../../src/client/signatures.js';
import { exitCodeFor } from '../../../src/cli/commands/status.js';
import { renderStatus } from '../../../src/cli/render/status.js';
import { digestOf } from '../../../src/core/index.js';
import { inspectNotationSignature, signJws, type ChainCertificate } from '../../../src/sig/index.js';
import { ROOT_SUBJECT, caExtensions, leafExtensions, makeCert, testKey } from '../../support/x509.js';

const DAY = 86_400_000;
const NOW = new Date('2026-12-02T00:00:00Z');
const HORIZON = 30 * DAY;
const at = (days: number): Date => new Date(NOW.getTime() + days * DAY);

const cert = (subject: string, notAfter: Date, tp: string): ChainCertificate =>
  ({ subject, issuer: 'CN=issuer', notBefore: at(-100), notAfter, thumbprint: tp.repeat(64).slice(0, 64) });

const LEAF = 'C=US, O=Vouch Test, CN=build signer';
const empty = (): RepoStatus => ({ repository: 'registry.example/team/app', state: 'ok', items: [], keys: [], signers: [], images: [] });

function sig(digestByte: string, chain: ChainCertificate[], extra: Partial<ReadSignature['facts']> = {}): ReadSignature {
  return { kind: 'notation', digest: `sha256:${digestByte.repeat(64)}`, facts: { signer: chain[0]?.subject ?? '', chain, signingTime: at(-1), ...extra } };
}

function image(tags: string[], signatures: ReadSignature[], more = false): ImageSignatures {
  return { name: 'registry.example/team/app', digest: `sha256:${'e'.repeat(64)}`, tags, signatures, more };
}

test('a healthy signature: every certificate listed once with its expiry, the signer counted per tag, exit 0', () => {
  const chain = [cert(LEAF, at(300), 'a'), cert('CN=Intermediate', at(1000), 'b'), cert('CN=Root', at(3000), 'c')];
  const st = withSignatures(empty(), [image(['1.0', 'latest'], [sig('1', chain)]), image(['2.0'], [sig('2', chain)])], NOW, HORIZON);
  assert.equal(st.state, 'ok');
  assert.equal(exitCodeFor([st]), 0);
  const certs = st.items.filter((i) => i.kind === 'certificate');
  assert.deepEqual(certs.map((i) => i.name), ['notation leaf certificate "build signer"', 'notation intermediate certificate "Intermediate"', 'notation root certificate "Root"'],
    'one item per certificate, however many signatures share it');
  assert.ok(certs.every((i) => i.renewedBy === 'signer' && i.signatureKind === 'notation'));
  assert.deepEqual(st.signers, [{ kind: 'notation', name: LEAF, tags: 3 }]);
  const s = st.images[0]?.signatures[0];
  assert.equal(s?.verifies, true);
  assert.deepEqual(s?.certificates.map((c) => c.position), ['leaf', 'intermediate', 'root']);
  assert.equal(s?.validUntil, at(300).toISOString(), 'it stops verifying when its leaf expires');
  assert.equal(st.firstToBreak?.name, 'notation leaf certificate "build signer"');
});

test('an expired leaf: the signature and the repository are expired, exit 2', () => {
  const chain = [cert(LEAF, at(-2), 'a'), cert('CN=Root', at(3000), 'c')];
  const st = withSignatures(empty(), [image(['1.0'], [sig('1', chain)])], NOW, HORIZON);
  assert.equal(st.state, 'expired');
  assert.equal(exitCodeFor([st]), 2);
  assert.equal(st.images[0]?.signatures[0]?.state, 'expired');
  assert.equal(st.images[0]?.signatures[0]?.certificates[0]?.state, 'expired');
  assert.equal(st.firstToBreak?.name, 'notation leaf certificate "build signer"');
  assert.match(renderStatus([st], NOW, HORIZON), /first to break: notation leaf certificate "build signer" expired \S+ \(2d ago\); its notation signer must renew the certificate and sign again/);
});

test('an intermediate expiring within the horizon: expiring, exit 1, and it breaks first', () => {
  const chain = [cert(LEAF, at(300), 'a'), cert('CN=Issuing CA', at(12), 'b'), cert('CN=Root', at(3000), 'c')];
  const st = withSignatures(empty(), [image(['1.0'], [sig('1', chain)])], NOW, HORIZON);
  assert.equal(st.state, 'expiring');
  assert.equal(exitCodeFor([st]), 1);
  assert.equal(st.firstToBreak?.name, 'notation intermediate certificate "Issuing CA"');
  assert.equal(st.images[0]?.signatures[0]?.validUntil, at(12).toISOString());
  assert.equal(st.images[0]?.signatures[0]?.certificates[1]?.state, 'expiring');
  // beyond a 5-day horizon it is fine again
  assert.equal(exitCodeFor([withSignatures(empty(), [image(['1.0'], [sig('1', chain)])], NOW, 5 * DAY)]), 0);
});

test("the signature's own expiry before its certificates': the signature breaks first", () => {
  const chain = [cert(LEAF, at(300), 'a'), cert('CN=Root', at(3000), 'c')];
  const st = withSignatures(empty(), [image(['1.0'], [sig('1', chain, { expiry: at(7) })])], NOW, HORIZON);
  assert.equal(st.state, 'expiring');
  assert.equal(st.firstToBreak?.kind, 'signature');
  assert.equal(st.firstToBreak?.name, `notation signature ${'1'.repeat(12)} (1.0)`);
  assert.equal(st.firstToBreak?.expires, at(7).toISOString());
  assert.equal(st.images[0]?.signatures[0]?.expires, at(7).toISOString());
  assert.equal(st.images[0]?.signatures[0]?.validUntil, at(7).toISOString());
  const text = renderStatus([st], NOW, HORIZON);
  assert.match(text, /first to break: notation signature 1{12} \(1\.0\) expires \S+ \(in 7d\); its notation signer must re-sign it/);
  assert.match(text, /expires\s+2026-12-09T00:00:00\.000Z \(in 7d\)/);
});

test('a signature that does not verify is expired with its reason (it counts as broken, exit 2)', () => {
  const st = withSignatures(empty(), [image(['1.0'], [sig('1', [], { problem: 'INVALID_SIGNATURE: signature is invalid' })])], NOW, HORIZON);
  assert.equal(st.state, 'expired');
  assert.equal(exitCodeFor([st]), 2);
  assert.equal(st.firstToBreak?.note, 'INVALID_SIGNATURE: signature is invalid');
  assert.deepEqual(st.signers, [], 'a signature that does not verify signs nothing');
  assert.match(renderStatus([st], NOW, HORIZON), /broken: notation signature 1{12} \(1\.0\) does not verify \(INVALID_SIGNATURE: signature is invalid\)/);
});

test('a registry that could not be read: unverified (exit 2) with a line that says so, even when the DCT data is fine', () => {
  const failed: ImageSignatures = { name: '127.0.0.1:1/team/app', tags: ['1.0'], signatures: [], more: false, error: { code: 'NETWORK', message: 'connect ECONNREFUSED 127.0.0.1:1' } };
  const st = withSignatures(empty(), [failed], NOW, HORIZON, 3);
  assert.equal(st.state, 'unverified');
  assert.equal(exitCodeFor([st]), 2);
  assert.equal(st.imagesNotChecked, 3);
  const text = renderStatus([st], NOW, HORIZON);
  assert.match(text, /inconclusive: the signatures in 127\.0\.0\.1:1\/team\/app could not be read \(NETWORK\)/);
  assert.match(text, /127\.0\.0\.1:1\/team\/app: signatures not checked, inconclusive: NETWORK: connect ECONNREFUSED/);
  assert.match(text, /3 more images not checked/);
});

test('inspectNotationSignature on a real envelope: the chain (leaf, intermediate, root) and expiry; another digest does not verify', async () => {
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, notBefore: at(-10), notAfter: at(3000), extensions: caExtensions });
  const midKey = await testKey('ec-384');
  const mid = await makeCert({ subject: 'C=US, O=Vouch Test, CN=Issuing CA', key: midKey, issuer: { cert: root, key: rootKey }, notBefore: at(-10), notAfter: at(12), extensions: caExtensions });
  const leafKey = await testKey('ec-256');
  const leaf = await makeCert({ subject: LEAF, key: leafKey, issuer: { cert: mid, key: midKey }, notBefore: at(-10), notAfter: at(300), extensions: leafExtensions });
  const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf(Buffer.from('image')), size: 5 };
  const signed = await signJws({ target: subject, privateKey: leafKey.privateKey, chain: [leaf.rawData, mid.rawData, root.rawData].map((d) => Buffer.from(d)), signingTime: at(-1), expiry: at(40) });
  const facts = await inspectNotationSignature({ subject, envelope: signed.envelope, envelopeMediaType: 'application/jose+json' });
  assert.equal(facts.problem, undefined);
  assert.equal(facts.signer, LEAF);
  assert.deepEqual(facts.chain.map((c) => c.notAfter.toISOString()), [at(300), at(12), at(3000)].map((d) => d.toISOString()));
  assert.equal(facts.expiry?.toISOString(), at(40).toISOString());
  const st = withSignatures(empty(), [image(['1.0'], [{ kind: 'notation', digest: digestOf(Buffer.from('sig')), facts }])], NOW, HORIZON);
  assert.equal(st.firstToBreak?.name, 'notation intermediate certificate "Issuing CA"');
  const other = await inspectNotationSignature({ subject: { ...subject, digest: digestOf(Buffer.from('other')) }, envelope: signed.envelope, envelopeMediaType: 'application/jose+json' });
  assert.match(other.problem ?? '', /^INVALID_SIGNATURE: content descriptor mismatch/);
  const tampered = Buffer.from(signed.envelope.toString().replace(/"signature":"./, (m) => `${m.slice(0, -1)}${m.endsWith('A') ? 'B' : 'A'}`));
  assert.match((await inspectNotationSignature({ subject, envelope: tampered, envelopeMediaType: 'application/jose+json' })).problem ?? '', /^INVALID_SIGNATURE/);
  // a JWS served as COSE is not CBOR; an envelope type notation does not define is not supported
  assert.match((await inspectNotationSignature({ subject, envelope: signed.envelope, envelopeMediaType: 'application/cose' })).problem ?? '', /^INVALID_SIGNATURE: the COSE envelope is not valid CBOR/);
  assert.match((await inspectNotationSignature({ subject, envelope: signed.envelope, envelopeMediaType: 'application/x-envelope' })).problem ?? '', /not supported/);
});
