// The Notation COSE envelope: what vouch writes (as notation-core-go signature/cose writes it through
// go-cose) and every rule vouch applies when reading one (go-cose Sign1Message, notation-core-go
// cose/envelope.go and base/envelope.go). Hostile envelopes are built with cbor2, as any attacker
// could, and signed for real where the attack needs a valid signature.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { decode, encode, Tag } from 'cbor2';
import { isVouchError } from '../../../src/core/index.js';
import {
  COSE_ENVELOPE_TYPE, MAX_ENVELOPE_BYTES, NOTATION_PAYLOAD_TYPE, applicablePolicy, parseTrustPolicy, signCose, signEnvelope, signPrimitive,
  verifyCoseEnvelope, verifyEnvelope, verifyNotationSignature, type TargetArtifact, type VerificationPluginHost, type VerifySignatureRequest,
} from '../../../src/sig/index.js';
import { makeChain, testKey, type Kind } from '../../support/x509.js';

const NOW = new Date('2026-06-01T12:00:00.750Z');
const TARGET: TargetArtifact = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1234 };
const PAYLOAD = Buffer.from(JSON.stringify({ targetArtifact: TARGET }));

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isVouchError(err), `not a VouchError: ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

/** cbor2 encodes a Buffer as a map (its toJSON): bstr values must be plain Uint8Arrays. */
const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const DECODE = { ignoreGlobalTags: true, preferMap: true } as const;
type Body = [Uint8Array, Map<unknown, unknown>, Uint8Array | null, Uint8Array];
/** Decoded from a Buffer, byte strings are Buffers: back to plain Uint8Arrays for re-encoding. */
const body = (envelope: Buffer): Body => {
  const [p, u, payload, sig] = (decode(u8(envelope), DECODE) as Tag).contents as Body;
  return [u8(p), new Map([...u].map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => (x instanceof Uint8Array ? u8(x) : x)) : v])), payload && u8(payload), u8(sig)];
};
const header = (protectedBytes: Uint8Array): Map<unknown, unknown> => decode(protectedBytes, DECODE) as Map<unknown, unknown>;

const ALG: Record<string, number> = { PS256: -37, PS384: -38, PS512: -39, ES256: -7, ES384: -35, ES512: -36 };
const sigStructure = (p: Uint8Array, payload: Uint8Array): Buffer => Buffer.from(encode(['Signature1', u8(p), new Uint8Array(0), u8(payload)]));

/** A COSE_Sign1 envelope around `protectedHeader`, signed for real with `key` under `alg`. */
function craft(protectedHeader: Map<unknown, unknown> | Uint8Array, key: KeyObject, ders: Buffer[], alg: keyof typeof ALG, o: { payload?: Uint8Array; unprotected?: Map<unknown, unknown>; tag?: number } = {}): Buffer {
  const p = protectedHeader instanceof Uint8Array ? protectedHeader : encode(protectedHeader, { cde: true });
  const payload = o.payload ?? PAYLOAD;
  const sig = signPrimitive(alg as 'ES256', key, sigStructure(p, payload));
  const unprotected = o.unprotected ?? new Map<unknown, unknown>([[33, ders.map(u8)]]);
  return Buffer.from(encode(new Tag(o.tag ?? 18, [u8(p), unprotected, u8(payload), u8(sig)])));
}

const time = (d: Date): Tag => new Tag(1, Math.floor(d.getTime() / 1000));
function notaryHeader(alg: string, extra: [unknown, unknown][] = [], crit: unknown[] = ['io.cncf.notary.signingScheme']): Map<unknown, unknown> {
  return new Map<unknown, unknown>([[1, ALG[alg]], [2, crit], [3, NOTATION_PAYLOAD_TYPE], ['io.cncf.notary.signingScheme', 'notary.x509'], ['io.cncf.notary.signingTime', time(NOW)], ...extra]);
}

const expected: Record<string, [string, string, number | undefined]> = {
  'rsa-2048': ['PS256', 'sha256', undefined], 'rsa-3072': ['PS384', 'sha384', undefined], 'rsa-4096': ['PS512', 'sha512', undefined],
  'ec-256': ['ES256', 'sha256', 64], 'ec-384': ['ES384', 'sha384', 96], 'ec-521': ['ES512', 'sha512', 132],
};

for (const [kind, [alg, hash, width]] of Object.entries(expected)) {
  test(`sign (${kind}): COSE_Sign1 (tag 18), alg ${alg} as COSE label ${ALG[alg]}, notation's headers, and it verifies`, async () => {
    const chain = await makeChain(kind as Kind);
    const signed = await signCose({ target: { ...TARGET, annotations: { z: '1', a: '2' } }, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: NOW, expiry: new Date(NOW.getTime() + 3_600_000) });
    assert.equal(signed.mediaType, COSE_ENVELOPE_TYPE);
    assert.equal(signed.envelope[0], 0xd2, 'COSE_Sign1_Tagged starts with tag 18');
    const [p, unprotected, payload, sig] = body(signed.envelope);
    const h = header(p);
    assert.equal(h.get(1), ALG[alg]);
    assert.deepEqual(h.get(2), ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry']);
    assert.equal(h.get(3), NOTATION_PAYLOAD_TYPE);
    assert.equal(h.get('io.cncf.notary.signingScheme'), 'notary.x509');
    // tag 1, whole seconds (go-cose: TimeUnix, TimeTag required)
    const st = h.get('io.cncf.notary.signingTime') as Tag;
    assert.deepEqual([Number(st.tag), st.contents], [1, Math.floor(NOW.getTime() / 1000)]);
    assert.equal(Number((h.get('io.cncf.notary.expiry') as Tag).contents), Math.floor(NOW.getTime() / 1000) + 3600);
    assert.deepEqual((unprotected.get(33) as Uint8Array[]).map((c) => Buffer.from(c)), chain.ders);
    assert.equal(unprotected.get('io.cncf.notary.signingAgent'), 'vouch');
    assert.deepEqual(JSON.parse(Buffer.from(payload as Uint8Array).toString()), { targetArtifact: { ...TARGET, annotations: { a: '2', z: '1' } } });
    // Sig_structure over the protected bytes; ECDSA as raw r||s; PSS salt = hash length (go-cose)
    const pub = createPublicKey(chain.key.privateKey);
    const tbs = sigStructure(p, payload as Uint8Array);
    if (width !== undefined) {
      assert.equal(sig.byteLength, width);
      assert.ok(nodeVerify(hash, tbs, { key: pub, dsaEncoding: 'ieee-p1363' }, sig));
    } else {
      assert.ok(nodeVerify(hash, tbs, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: { sha256: 32, sha384: 48, sha512: 64 }[hash] }, sig));
    }
    const read = await verifyEnvelope(COSE_ENVELOPE_TYPE, signed.envelope);
    assert.equal(read.format, 'cose');
    assert.equal(read.header.alg, alg);
    assert.equal(read.header.signingTime.getTime(), Math.floor(NOW.getTime() / 1000) * 1000);
    assert.deepEqual(read.target.annotations, { a: '2', z: '1' });
    assert.equal(read.signingAgent, 'vouch');
    assert.deepEqual(read.signature, Buffer.from(sig));
  });
}

test('one envelope shape for both formats: signature bytes and the timestamp token from the signing hook', async () => {
  const chain = await makeChain('ec-256');
  const token = Buffer.from('3003020101', 'hex');
  for (const format of ['jws', 'cose'] as const) {
    let over: Buffer | undefined;
    const signed = await signEnvelope(format, { target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: NOW, timestamp: async (s) => { over = s; return token; } });
    const read = await verifyEnvelope(signed.mediaType, signed.envelope);
    assert.equal(read.format, format);
    assert.deepEqual(read.signature, over, `${format}: the token is requested over the signature value the envelope carries`);
    assert.deepEqual(read.timestampToken, token);
    assert.equal(read.chain.length, 2);
    assert.equal(read.header.signingScheme, 'notary.x509');
  }
});

test('a tampered protected header, payload or signature fails integrity', async () => {
  const chain = await makeChain('ec-256');
  const signed = await signCose({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: NOW });
  const [p, u, payload, sig] = body(signed.envelope);
  // the protected header re-encoded with a later signing time: same meaning for a lax reader, other bytes
  const h = header(p);
  h.set('io.cncf.notary.signingTime', time(new Date(NOW.getTime() + 86_400_000)));
  const rebuilt = (parts: unknown[]): Buffer => Buffer.from(encode(new Tag(18, parts)));
  await rejects(verifyCoseEnvelope(rebuilt([encode(h, { cde: true }), u, payload, sig])), /signature is invalid/);
  // the same header, keys in another order: other bytes, so the signature no longer holds
  const reordered = encode(new Map([...h.entries()].reverse()));
  await rejects(verifyCoseEnvelope(rebuilt([reordered, u, payload, sig])), /signature is invalid/);
  const otherPayload = u8(Buffer.from(JSON.stringify({ targetArtifact: { ...TARGET, size: 1 } })));
  await rejects(verifyCoseEnvelope(rebuilt([p, u, otherPayload, sig])), /signature is invalid/);
  const flipped = new Uint8Array(sig);
  flipped[5] = (flipped[5] as number) ^ 1;
  await rejects(verifyCoseEnvelope(rebuilt([p, u, payload, flipped])), /signature is invalid/);
  // an ECDSA signature that is not COSE's fixed-width r||s (64 bytes for P-256)
  const der = Buffer.from(signPrimitive('ES256', chain.key.privateKey, Buffer.from('x')));
  await rejects(verifyCoseEnvelope(rebuilt([p, u, payload, u8(Buffer.concat([Buffer.from([0x30, 0x44]), der]))])), /signature is invalid/);
});

test('the algorithm: the one the key takes, as a COSE label notation signs with', async () => {
  const ec = await makeChain('ec-256');
  const rsa = await makeChain('rsa-2048');
  // ES384 named for a P-256 key, signed with a matching hash: refused before the signature is checked
  await rejects(verifyCoseEnvelope(craft(notaryHeader('ES384'), ec.key.privateKey, ec.ders, 'ES384')), /algorithm mismatch: the signing certificate's key takes ES256, the protected header names ES384/);
  await rejects(verifyCoseEnvelope(craft(notaryHeader('PS256'), rsa.key.privateKey, ec.ders, 'PS256')), /algorithm mismatch/);
  // RS256 (-257), EdDSA (-8), a text alg: not among notation's
  for (const alg of [-257, -8, 'ES256']) {
    const h = notaryHeader('ES256');
    h.set(1, alg);
    await rejects(verifyCoseEnvelope(craft(h, ec.key.privateKey, ec.ders, 'ES256')), new RegExp(`signature algorithm not supported: ${String(alg)}`));
  }
  const noAlg = notaryHeader('ES256');
  noAlg.delete(1);
  await rejects(verifyCoseEnvelope(craft(noAlg, ec.key.privateKey, ec.ders, 'ES256')), /algorithm not found/);
  // a correct envelope, for contrast
  assert.equal((await verifyCoseEnvelope(craft(notaryHeader('ES256'), ec.key.privateKey, ec.ders, 'ES256'))).header.alg, 'ES256');
});

test('protected header rules: crit, signing scheme, tag 1 times, content type, duplicates', async () => {
  const chain = await makeChain('ec-256');
  const k = chain.key.privateKey;
  const cases: [Map<unknown, unknown> | Uint8Array, RegExp][] = [
    [notaryHeader('ES256', [], []), /empty crit header/],
    [notaryHeader('ES256', [], ['io.cncf.notary.signingScheme', 'io.cncf.notary.absent']), /missing critical header: io\.cncf\.notary\.absent/],
    [notaryHeader('ES256', [], ['io.cncf.notary.signingScheme', 1.5]), /header label: require int \/ tstr type/],
    [notaryHeader('ES256', [['io.cncf.notary.expiry', time(new Date(NOW.getTime() + 60_000))]]), /these required headers are not marked as critical: \[io\.cncf\.notary\.expiry\]/],
    [notaryHeader('ES256', [['io.cncf.notary.signingTime', Math.floor(NOW.getTime() / 1000)]]), /time value does not have a tag/],
    [notaryHeader('ES256', [['io.cncf.notary.signingTime', new Tag(0, '2026-06-01T12:00:00Z')]]), /only Tag `1` Datetime CBOR object is supported/],
    [notaryHeader('ES256', [['io.cncf.notary.signingTime', new Tag(1, 'soon')]]), /must hold a number of seconds/],
    [notaryHeader('ES256', [['io.cncf.notary.signingScheme', 'notary.default']]), /unsupported signingScheme: notary\.default/],
    [notaryHeader('ES256', [[3, 42]]), /content type should be of 'tstr' type/],
    [notaryHeader('ES256', [['io.cncf.notary.expiry', time(NOW)]], ['io.cncf.notary.signingScheme', 'io.cncf.notary.expiry']), /expiry cannot be equal or before the signing time/],
    [notaryHeader('ES256', [[7, 'x'], ['7', 'y']]), /both the int label 7 and the text label "7"/],
    [encode(['not', 'a', 'map']), /protected header: require map type/],
    [new Uint8Array(0), /protected header is empty/],
    // label 1 twice (0x01 and its long form 0x1801): one label, two encodings
    [Buffer.concat([Buffer.from([0xa2, 0x01, 0x26, 0x18, 0x01, 0x26])]), /duplicated map key 1/],
  ];
  const noCty = notaryHeader('ES256');
  noCty.delete(3);
  cases.push([noCty, /missing content type/]);
  const noTime = notaryHeader('ES256');
  noTime.delete('io.cncf.notary.signingTime');
  cases.push([noTime, /protected header "io\.cncf\.notary\.signingTime" is missing/]);
  for (const [h, pattern] of cases) await rejects(verifyCoseEnvelope(craft(h, k, chain.ders, 'ES256')), pattern);
  // an unknown critical extended attribute is read (the verifier fails it as inconclusive), a non-critical one is kept
  const ext = await verifyCoseEnvelope(craft(notaryHeader('ES256', [['io.example.build', '42'], [-70000, 'x']], ['io.cncf.notary.signingScheme', 'io.example.build']), k, chain.ders, 'ES256'));
  assert.deepEqual(ext.header.extended, { 'io.example.build': '42', '-70000': 'x' });
  assert.deepEqual(ext.header.crit, ['io.cncf.notary.signingScheme', 'io.example.build']);
});

test('COSE_Sign1 structure: tag 18, four members, bstr payload and signature, x5chain of DER certificates', async () => {
  const chain = await makeChain('ec-256');
  const k = chain.key.privateKey;
  const h = notaryHeader('ES256');
  const signed = craft(h, k, chain.ders, 'ES256');
  const [p, u, payload, sig] = body(signed);
  const enc = (v: unknown): Buffer => Buffer.from(encode(v));
  const x5 = (v: unknown): Map<unknown, unknown> => new Map([[33, v]]);
  const cases: [Buffer, RegExp][] = [
    [craft(h, k, chain.ders, 'ES256', { tag: 98 }), /not a CBOR tag 18/],
    [enc([p, u, payload, sig]), /not a CBOR tag 18/],
    [enc(new Tag(18, [p, u, payload])), /not an array of protected header, unprotected header, payload and signature/],
    [enc(new Tag(18, [p, u, null, sig])), /detached COSE payload/],
    [enc(new Tag(18, [p, u, 'text', sig])), /the COSE payload must be a bstr, got string/],
    [enc(new Tag(18, [p, u, payload, new Uint8Array(0)])), /signature missing in COSE envelope/],
    [enc(new Tag(18, [p, [u], payload, sig])), /unprotected header: require map type, got array/],
    [enc(new Tag(18, [new Tag(24, p), u, payload, sig])), /the protected header must be a bstr, got tag 24/],
    [enc(new Tag(18, [p, new Map([...u, ['io.example.x', new Tag(24, p)]]), payload, sig])), /tags are not allowed here \(tag 24\)/],
    [enc(new Tag(18, [p, new Map([...u, [2, ['x']]]), payload, sig])), /crit: not allowed in the unprotected header/],
    [enc(new Tag(18, [p, new Map(), payload, sig])), /certificate chain is not present/],
    [enc(new Tag(18, [p, x5(u8(chain.ders[0] as Buffer)), payload, sig])), /certificate chain is not present/],
    [enc(new Tag(18, [p, x5([u8(chain.ders[0] as Buffer), 'cert']), payload, sig])), /x5chain\[1\] is a string, not a bstr/],
    [enc(new Tag(18, [p, x5([u8(Buffer.from('not a certificate'))]), payload, sig])), /certificate #1 does not parse/],
    [enc(new Tag(18, [p, x5(Array.from({ length: 11 }, () => u8(chain.ders[0] as Buffer))), payload, sig])), /11 certificates, more than the limit of 10/],
    [enc(new Tag(18, [p, new Map([...u, ['io.cncf.notary.timestampSignature', 'token']]), payload, sig])), /timestampSignature must be a bstr/],
    [Buffer.concat([signed, Buffer.from([0])]), /not valid CBOR: Extra data in input/],
    [signed.subarray(0, signed.length - 3), /not valid CBOR/],
    // indefinite-length array (go-cose: IndefLengthForbidden)
    [Buffer.concat([Buffer.from([0xd2, 0x9f]), enc(p), enc(u), enc(payload), enc(sig), Buffer.from([0xff])]), /Streaming not supported/],
  ];
  for (const [bytes, pattern] of cases) await rejects(verifyCoseEnvelope(bytes), pattern);
  // a chain the code-signing rules refuse: the leaf does not issue itself
  await rejects(verifyCoseEnvelope(craft(h, k, [chain.ders[0] as Buffer, chain.ders[0] as Buffer], 'ES256')), /certificate-chain is invalid/);
  // x5chain whose leaf is not the signer's (another P-256 key)
  const other = await makeChain('ec-256', { key: await testKey('ec-256', true) });
  await rejects(verifyCoseEnvelope(craft(h, k, other.ders, 'ES256')), /signature is invalid/);
  // payload not a Notary payload
  await rejects(verifyCoseEnvelope(craft(h, k, chain.ders, 'ES256', { payload: u8(Buffer.from('{"targetArtifact":{"size":1}}')) })), /targetArtifact has no mediaType/);
  // deep nesting in an extended attribute is bounded
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  await rejects(verifyCoseEnvelope(craft(notaryHeader('ES256', [['io.example.deep', deep]]), k, chain.ders, 'ES256')), /not valid CBOR/);
});

test('bounds: an envelope over 32 MiB is refused before it is decoded; a map with many labels is refused', async () => {
  await rejects(verifyCoseEnvelope(Buffer.alloc(MAX_ENVELOPE_BYTES + 1, 0xd2)), /over the limit of 33554432/);
  const chain = await makeChain('ec-256');
  const many = notaryHeader('ES256', Array.from({ length: 70 }, (_, i) => [`x${i}`, i] as [unknown, unknown]));
  await rejects(verifyCoseEnvelope(craft(many, chain.key.privateKey, chain.ders, 'ES256')), /more than the limit of 64/);
});

test('the verifier takes COSE envelopes: a good one passes every check, a tampered one fails integrity', async () => {
  const chain = await makeChain('ec-384');
  const policy = applicablePolicy(parseTrustPolicy(JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['*'] }] })), 'r.example/app');
  const signed = await signCose({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date('2026-05-01T00:00:00Z'), expiry: new Date('2026-07-01T00:00:00Z') });
  const run = (envelope: Buffer, now = NOW): ReturnType<typeof verifyNotationSignature> => verifyNotationSignature({ subject: TARGET, envelope, envelopeMediaType: COSE_ENVELOPE_TYPE, policy, trustStores: { 'ca:test': [Buffer.from(chain.root.rawData)] }, now });
  const ok = await run(signed.envelope);
  assert.equal(ok.verified, true, JSON.stringify(ok.failure));
  assert.equal(ok.expiry?.toISOString(), '2026-07-01T00:00:00.000Z');
  const expired = await run(signed.envelope, new Date('2026-07-02T00:00:00Z'));
  assert.equal(expired.failure?.check, 'expiry');
  const tampered = Buffer.from(signed.envelope);
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
  const bad = await run(tampered);
  assert.equal(bad.failure?.check, 'integrity');
  assert.match(bad.failure?.message ?? '', /signature is invalid/);
  // a COSE envelope presented as JWS, and the reverse, fail integrity
  assert.equal((await verifyNotationSignature({ subject: TARGET, envelope: signed.envelope, envelopeMediaType: 'application/jose+json', policy, trustStores: {}, now: NOW })).failure?.check, 'integrity');
});

test('a COSE envelope that names a verification plugin is verified through it, as a JWS one is', async () => {
  const chain = await makeChain('ec-256');
  const policy = applicablePolicy(parseTrustPolicy(JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['*'] }] })), 'r.example/app');
  const envelope = craft(notaryHeader('ES256', [['io.cncf.notary.verificationPlugin', 'io.vouch.test'], ['com.example.tier', 'gold']], ['io.cncf.notary.signingScheme', 'io.cncf.notary.verificationPlugin', 'com.example.tier']), chain.key.privateKey, chain.ders, 'ES256');
  const requests: VerifySignatureRequest[] = [];
  const host = (success: boolean): VerificationPluginHost => ({
    metadata: async (name) => ({ name, description: 'd', version: '1.2.0', url: 'u', supportedContractVersions: ['1.0'], capabilities: ['SIGNATURE_VERIFIER.TRUSTED_IDENTITY'] }),
    verifySignature: async (_name, request) => {
      requests.push(request);
      return Buffer.from(JSON.stringify({ verificationResults: { 'SIGNATURE_VERIFIER.TRUSTED_IDENTITY': success ? { success } : { success, reason: 'not on the allow list' } }, processedAttributes: ['com.example.tier'] }));
    },
  });
  const run = (plugins?: VerificationPluginHost): ReturnType<typeof verifyNotationSignature> => verifyNotationSignature({
    subject: TARGET, envelope, envelopeMediaType: COSE_ENVELOPE_TYPE, policy, trustStores: { 'ca:test': [Buffer.from(chain.root.rawData)] }, now: NOW, ...(plugins ? { plugins } : {}),
  });
  const ok = await run(host(true));
  assert.equal(ok.verified, true, JSON.stringify(ok.failure));
  assert.equal(ok.checks.find((c) => c.check === 'verificationPlugin')?.status, 'passed');
  const sent = requests[0]?.signature;
  assert.equal(sent?.criticalAttributes.verificationPlugin, 'io.vouch.test');
  assert.deepEqual(sent?.criticalAttributes.extendedAttributes, { 'com.example.tier': 'gold' });
  assert.deepEqual(sent?.unprocessedAttributes, ['com.example.tier']);
  assert.equal(sent?.certificateChain.length, chain.ders.length);
  const denied = await run(host(false));
  assert.equal(denied.failure?.check, 'authenticity');
  assert.match(denied.failure?.message ?? '', /trusted identify verification by plugin "io\.vouch\.test" failed with reason "not on the allow list"/);
  const without = await run();
  assert.equal(without.failure?.check, 'verificationPlugin');
  assert.equal(without.failure?.status, 'inconclusive');
});
