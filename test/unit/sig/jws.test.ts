// The Notation JWS envelope: what vouch writes (as notation-core-go writes it) and every rule
// vouch applies when reading one (notation-core-go signature/jws, base/envelope.go).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { isVouchError } from '../../../src/core/index.js';
import { MAX_CHAIN_LENGTH, MAX_ENVELOPE_BYTES, NOTATION_PAYLOAD_TYPE, signJws, verifyJwsEnvelope, type TargetArtifact } from '../../../src/sig/index.js';
import { makeChain, testKey, type Kind } from '../../support/x509.js';

const NOW = new Date('2026-06-01T12:00:00.750Z');
const TARGET: TargetArtifact = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1234 };

const b64u = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isVouchError(err), `not a VouchError: ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

const expected: Record<string, [string, string, number | undefined]> = {
  'rsa-2048': ['PS256', 'sha256', undefined], 'rsa-3072': ['PS384', 'sha384', undefined], 'rsa-4096': ['PS512', 'sha512', undefined],
  'ec-256': ['ES256', 'sha256', 64], 'ec-384': ['ES384', 'sha384', 96], 'ec-521': ['ES512', 'sha512', 132],
};

for (const [kind, [alg, hash, width]] of Object.entries(expected)) {
  test(`sign (${kind}): ${alg}, notation's header layout, and it verifies`, async () => {
    const chain = await makeChain(kind as Kind);
    const signed = await signJws({ target: { ...TARGET, annotations: { z: '1', a: '2' } }, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: NOW, expiry: new Date(NOW.getTime() + 3_600_000) });
    const env = JSON.parse(signed.envelope.toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(env), ['payload', 'protected', 'header', 'signature']);
    const protectedText = Buffer.from(env.protected as string, 'base64url').toString();
    // keys sorted as Go marshals maps; whole seconds in UTC; expiry critical
    assert.equal(protectedText, `{"alg":"${alg}","crit":["io.cncf.notary.signingScheme","io.cncf.notary.expiry"],"cty":"${NOTATION_PAYLOAD_TYPE}","io.cncf.notary.expiry":"2026-06-01T13:00:00Z","io.cncf.notary.signingScheme":"notary.x509","io.cncf.notary.signingTime":"2026-06-01T12:00:00Z"}`);
    assert.equal(Buffer.from(env.payload as string, 'base64url').toString(), `{"targetArtifact":{"annotations":{"a":"2","z":"1"},"digest":"${TARGET.digest}","mediaType":"${TARGET.mediaType}","size":1234}}`);
    const header = env.header as { x5c: string[] };
    assert.deepEqual(header.x5c, chain.ders.map((d) => d.toString('base64')));
    assert.ok(!/=/.test(env.signature as string), 'base64url without padding');
    const sig = Buffer.from(env.signature as string, 'base64url');
    const input = Buffer.from(`${env.protected as string}.${env.payload as string}`);
    const pub = createPublicKey(chain.key.privateKey);
    if (width !== undefined) assert.equal(sig.byteLength, width);
    // RFC 7518: PSS salt length = hash length (node signs with the maximum unless told)
    else assert.ok(nodeVerify(hash, input, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: { sha256: 32, sha384: 48, sha512: 64 }[hash] }, sig));
    const read = await verifyJwsEnvelope(signed.envelope);
    assert.equal(read.header.alg, alg);
    assert.deepEqual(read.target.annotations, { a: '2', z: '1' });
    assert.deepEqual(signed.thumbprints, read.chain.map((c) => c.node.fingerprint256.replaceAll(':', '').toLowerCase()));
  });
}

test('sign refuses an RSA key notation does not sign with, a key that is not the certificate\'s, and expiry ≤ signing time', async () => {
  const weak = await makeChain('rsa-1024');
  await rejects(signJws({ target: TARGET, privateKey: weak.key.privateKey, chain: weak.ders, signingTime: NOW }), /rsa key size 1024 bits is not supported/);
  const chain = await makeChain('ec-256');
  const other = await testKey('ec-384');
  await rejects(signJws({ target: TARGET, privateKey: other.privateKey, chain: chain.ders, signingTime: NOW }), /private key does not match/);
  await rejects(signJws({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: NOW, expiry: NOW }), /expiry cannot be equal or before the signing time/);
  await rejects(signJws({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date('2028-01-01T00:00:00Z') }), /was invalid at signing time/);
});

/** An envelope crafted by hand: the protected header and payload as given, signed with `key` under `alg`. */
function craft(headerObj: Record<string, unknown>, payloadObj: unknown, key: KeyObject, ders: Buffer[], alg: string, extra: Record<string, unknown> = {}): Buffer {
  const protectedB64 = b64u(headerObj);
  const payloadB64 = b64u(payloadObj);
  const input = Buffer.from(`${protectedB64}.${payloadB64}`);
  const hash = `sha${alg.slice(2)}`;
  const sig = alg.startsWith('PS')
    ? nodeSign(hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST })
    : nodeSign(hash, input, { key, dsaEncoding: 'ieee-p1363' });
  return Buffer.from(JSON.stringify({ payload: payloadB64, protected: protectedB64, header: { x5c: ders.map((d) => d.toString('base64')) }, signature: sig.toString('base64url'), ...extra }));
}

const HEADER = (alg: string, more: Record<string, unknown> = {}): Record<string, unknown> => ({
  alg, crit: ['io.cncf.notary.signingScheme'], cty: NOTATION_PAYLOAD_TYPE, 'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': '2026-06-01T05:00:00-07:00', ...more,
});

test('verify accepts what notation writes: any RFC 3339 offset, a crafted but well-formed envelope', async () => {
  const chain = await makeChain('ec-256');
  const env = await verifyJwsEnvelope(craft(HEADER('ES256'), { targetArtifact: TARGET }, chain.key.privateKey, chain.ders, 'ES256'));
  assert.equal(env.header.signingTime.toISOString(), '2026-06-01T12:00:00.000Z');
});

test('verify: the rules of the protected header, each with its message', async () => {
  const chain = await makeChain('ec-256');
  const k = chain.key.privateKey;
  const cases: [Record<string, unknown>, RegExp][] = [
    [HEADER('ES256', { crit: undefined }), /missing "crit" header/],
    [HEADER('ES256', { crit: ['io.cncf.notary.signingScheme', 'x-absent'] }), /"x-absent" header is marked critical but not present/],
    [HEADER('ES256', { 'io.cncf.notary.expiry': '2026-06-02T00:00:00Z' }), /not marked as critical: \[io\.cncf\.notary\.expiry\]/],
    [HEADER('ES256', { crit: ['alg', 'io.cncf.notary.signingScheme'] }), /"alg" header is marked critical but not present/],
    [HEADER('ES256', { 'io.cncf.notary.signingScheme': 'notary.other' }), /unsupported SigningScheme/],
    [HEADER('ES256', { 'io.cncf.notary.signingTime': undefined }), /signing-time not present/],
    [HEADER('ES256', { 'io.cncf.notary.signingTime': '2026-06-01 12:00:00' }), /not an RFC 3339 time/],
    [HEADER('ES256', { 'io.cncf.notary.authenticSigningTime': '2026-06-01T12:00:00Z' }), /must not be present for notary\.x509/],
    [HEADER('ES256', { cty: 'application/json' }), /payload content type "application\/json" not supported/],
    [HEADER('ES256', { crit: ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry'], 'io.cncf.notary.expiry': '2026-06-01T11:00:00Z' }), /expiry cannot be equal or before the signing time/],
    [HEADER('none'), /signature algorithm "none" is not supported/],
    [HEADER('HS256'), /signature algorithm "HS256" is not supported/],
  ];
  for (const [header, pattern] of cases) {
    const h = Object.fromEntries(Object.entries(header).filter(([, v]) => v !== undefined));
    await rejects(verifyJwsEnvelope(craft(h, { targetArtifact: TARGET }, k, chain.ders, 'ES256')), pattern);
  }
});

test('verify: integrity failures — tampered payload or header, alg not the key\'s, padded or foreign encodings', async () => {
  const chain = await makeChain('ec-256');
  const good = JSON.parse(craft(HEADER('ES256'), { targetArtifact: TARGET }, chain.key.privateKey, chain.ders, 'ES256').toString()) as Record<string, unknown>;
  const tampered = { ...good, payload: b64u({ targetArtifact: { ...TARGET, size: 1235 } }) };
  await rejects(verifyJwsEnvelope(Buffer.from(JSON.stringify(tampered))), /signature is invalid/);
  const header = { ...good, protected: b64u(HEADER('ES256', { 'io.cncf.notary.signingTime': '2026-06-01T12:00:01Z' })) };
  await rejects(verifyJwsEnvelope(Buffer.from(JSON.stringify(header))), /signature is invalid/);
  await rejects(verifyJwsEnvelope(Buffer.from(JSON.stringify({ ...good, signature: `${good.signature as string}=` }))), /signature is not base64url without padding/);
  await rejects(verifyJwsEnvelope(Buffer.from(JSON.stringify({ ...good, header: { x5c: (good.header as { x5c: string[] }).x5c.map((c) => c.replace(/=+$/, '')) } }))), /is not standard base64/);
  await rejects(verifyJwsEnvelope(Buffer.from(JSON.stringify({ ...good, signatures: [] }))), /members a flattened JWS JSON serialization cannot have: signatures/);
  await rejects(verifyJwsEnvelope(Buffer.from(JSON.stringify({ ...good, header: { x5c: [] } }))), /certificate chain is not present/);
  // An RSA-3072 leaf must sign PS384; a valid PS256 signature by it is still refused.
  const rsa = await makeChain('rsa-3072');
  await rejects(verifyJwsEnvelope(craft(HEADER('PS256'), { targetArtifact: TARGET }, rsa.key.privateKey, rsa.ders, 'PS256')),
    /mismatch between signature algorithm derived from signing certificate \(PS384\) and signing algorithm specified \(PS256\)/);
  // ES256 named over an RSA key: the signature cannot verify
  await rejects(verifyJwsEnvelope(craft(HEADER('ES256'), { targetArtifact: TARGET }, rsa.key.privateKey, rsa.ders, 'PS384')), /signature is invalid/);
  await rejects(verifyJwsEnvelope(craft(HEADER('ES256'), { targetArtifact: { digest: TARGET.digest, size: 1 } }, chain.key.privateKey, chain.ders, 'ES256')), /targetArtifact has no mediaType/);
});

test('verify: bounds — an envelope over 32 MiB and a chain over the limit are refused before parsing', async () => {
  await rejects(verifyJwsEnvelope(Buffer.alloc(MAX_ENVELOPE_BYTES + 1, 0x20)), /over the limit of 33554432/);
  const chain = await makeChain('ec-256');
  const long = Array.from({ length: MAX_CHAIN_LENGTH + 1 }, () => chain.ders[0] as Buffer);
  await rejects(verifyJwsEnvelope(craft(HEADER('ES256'), { targetArtifact: TARGET }, chain.key.privateKey, long, 'ES256')), /11 certificates, more than the limit of 10/);
});
