// RFC 3161 timestamps end to end against a local openssl TSA (test/support/tsa.ts): vouch's
// request, the checks of the TSA's answer (each bad answer refused by name), the token stored in
// the JWS and COSE envelopes, and notation-go's verifyAuthenticTimestamp decisions over it: verifyTimestamp
// always / afterCertExpiry, an expired signing certificate rescued by the timestamp, a token from
// another signature, an untrusted TSA, a timestamp outside the signing certificate's validity.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as X509 from '../../support/x509-lib.js';
import { decode, encode, Tag } from 'cbor2';
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { crlSource } from '../../../src/client/crl.js';
import { readTsaRoot, tsaTimestamper } from '../../../src/client/tsa.js';
import { HttpTransport } from '../../../src/http/index.js';
import {
  COSE_ENVELOPE_TYPE, HEADER_TIMESTAMP, JWS_ENVELOPE_TYPE, applicablePolicy, signCose, verifyCoseEnvelope, parseCertificateFile, parseTrustPolicy, signJws, validateTimestampingChain, parseCertificates,
  verifyNotationSignature, type Certificate, type NotationVerdict, type TargetArtifact, type Timestamper,
} from '../../../src/sig/index.js';
import { startCrlServer } from '../../support/crl.js';
import { startTsa, type Tsa } from '../../support/tsa.js';
import { LEAF_SUBJECT, ROOT_SUBJECT, caExtensions, leafExtensions, makeCert, makeCrl, testKey, type Chain } from '../../support/x509.js';

const DAY = 86_400_000;
const TARGET: TargetArtifact = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 99 };

let dir: string;
let tsa: Tsa;
let transport: HttpTransport;
let tsaRoot: Certificate;
let tsaRootDer: Buffer;
let timestamper: Timestamper;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vouch-tsa-'));
  tsa = await startTsa(dir);
  transport = new HttpTransport({ retries: 0 });
  tsaRootDer = parseCertificateFile(await readFile(tsa.rootCert), tsa.rootCert)[0] as Buffer;
  tsaRoot = await readTsaRoot(await readFile(tsa.rootCert), tsa.rootCert);
  timestamper = tsaTimestamper({ transport, url: tsa.url, root: tsaRoot, now: () => new Date() });
});
after(async () => {
  await transport.close();
  await tsa.close();
  await rm(dir, { recursive: true, force: true });
});

/** root → leaf, valid from `from` to `to` (relative to the real clock: the TSA's genTime is real). */
async function chainValid(from: Date, to: Date): Promise<Chain> {
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: caExtensions, notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() + 365 * DAY) });
  const key = await testKey('ec-256');
  const leaf = await makeCert({ subject: LEAF_SUBJECT, key, issuer: { cert: root, key: rootKey }, extensions: leafExtensions, notBefore: from, notAfter: to });
  return { root, leaf, key, ders: [Buffer.from(leaf.rawData), Buffer.from(root.rawData)] };
}

function policy(stores: string[], verifyTimestamp?: string): ReturnType<typeof applicablePolicy> {
  return applicablePolicy(parseTrustPolicy(JSON.stringify({
    version: '1.0',
    trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict', ...(verifyTimestamp ? { verifyTimestamp } : {}) }, trustStores: stores, trustedIdentities: ['*'] }],
  })), 'registry.example/app');
}

async function verify(envelope: Buffer, chain: Chain, o: { stores?: string[]; verifyTimestamp?: string; now?: Date; tsaTrust?: Buffer[]; mediaType?: string } = {}): Promise<NotationVerdict> {
  return verifyNotationSignature({
    subject: TARGET, envelope, envelopeMediaType: o.mediaType ?? JWS_ENVELOPE_TYPE, policy: policy(o.stores ?? ['ca:test', 'tsa:ts'], o.verifyTimestamp),
    trustStores: { 'ca:test': [Buffer.from(chain.root.rawData)], 'tsa:ts': o.tsaTrust ?? [tsaRootDer] }, now: o.now ?? new Date(),
  });
}

const timestampOf = (envelope: Buffer): string | undefined => (JSON.parse(envelope.toString()) as { header: Record<string, string> }).header[HEADER_TIMESTAMP];
const withTimestamp = (envelope: Buffer, token: string | undefined): Buffer => {
  const doc = JSON.parse(envelope.toString()) as { header: Record<string, string> };
  if (token === undefined) delete doc.header[HEADER_TIMESTAMP]; else doc.header[HEADER_TIMESTAMP] = token;
  return Buffer.from(JSON.stringify(doc));
};
const check = (v: NotationVerdict, name: string) => v.checks.find((c) => c.check === name);

test('a timestamped signature: the token is in the unprotected header and verifies (verifyTimestamp always)', async () => {
  const chain = await chainValid(new Date(Date.now() - DAY), new Date(Date.now() + 30 * DAY));
  const signed = await signJws({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date(), timestamp: timestamper });
  assert.ok(timestampOf(signed.envelope), 'the envelope carries io.cncf.notary.timestampSignature');
  const v = await verify(signed.envelope, chain);
  assert.equal(v.verified, true, JSON.stringify(v.failure));
  assert.equal(check(v, 'authenticTimestamp')?.status, 'passed');
  // the same envelope without its token: always asks for one
  const bare = await verify(withTimestamp(signed.envelope, undefined), chain);
  assert.deepEqual([bare.failure?.check, bare.failure?.message], ['authenticTimestamp', 'no timestamp countersignature was found in the signature envelope']);
});

/** A COSE envelope with `token` as its timestamp (decoded from a copy: byte strings stay plain Uint8Arrays, which cbor2 re-encodes as bstr). */
function coseWithToken(envelope: Buffer, token: Uint8Array): Buffer {
  const [p, u, payload, sig] = (decode(new Uint8Array(envelope), { preferMap: true, ignoreGlobalTags: true }) as Tag).contents as [Uint8Array, Map<unknown, unknown>, Uint8Array, Uint8Array];
  u.set(HEADER_TIMESTAMP, new Uint8Array(token));
  return Buffer.from(encode(new Tag(18, [p, u, payload, sig])));
}

test('COSE envelopes are timestamped and verified alike: the token in the unprotected header, over the COSE signature value', async () => {
  const chain = await chainValid(new Date(Date.now() - DAY), new Date(Date.now() + 10 * DAY));
  const signed = await signCose({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date(), timestamp: timestamper });
  const token = (await verifyCoseEnvelope(signed.envelope)).timestampToken;
  assert.ok(token, 'the envelope carries io.cncf.notary.timestampSignature');
  const v = await verify(signed.envelope, chain, { mediaType: COSE_ENVELOPE_TYPE });
  assert.equal(v.verified, true, JSON.stringify(v.failure));
  assert.equal(check(v, 'authenticTimestamp')?.status, 'passed');
  // the expired signing certificate is rescued by the timestamp
  const rescued = await verify(signed.envelope, chain, { mediaType: COSE_ENVELOPE_TYPE, verifyTimestamp: 'afterCertExpiry', now: new Date(Date.now() + 40 * DAY) });
  assert.equal(rescued.verified, true, JSON.stringify(rescued.failure));
  // the token of one COSE signature does not cover another
  const other = await signCose({ target: { ...TARGET, size: 100 }, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date() });
  const swapped = await verify(coseWithToken(other.envelope, token), chain, { mediaType: COSE_ENVELOPE_TYPE });
  assert.equal(swapped.failure?.check, 'authenticTimestamp');
  assert.match(swapped.failure?.message ?? '', /mismatched message/);
});

test('an expired signing certificate is rescued by a timestamp made while it was valid (afterCertExpiry), and only then', async () => {
  const chain = await chainValid(new Date(Date.now() - DAY), new Date(Date.now() + 10 * DAY));
  const signed = await signJws({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date(), timestamp: timestamper });
  const later = new Date(Date.now() + 40 * DAY);
  const rescued = await verify(signed.envelope, chain, { verifyTimestamp: 'afterCertExpiry', now: later });
  assert.equal(rescued.verified, true, JSON.stringify(rescued.failure));
  const noTsa = await verify(signed.envelope, chain, { stores: ['ca:test'], now: later });
  assert.equal(noTsa.failure?.check, 'authenticTimestamp');
  assert.match(noTsa.failure?.message ?? '', /verification time is after certificate .* validity period/);
  // afterCertExpiry with an unexpired chain: the timestamp is not looked at, even a broken one
  const broken = withTimestamp(signed.envelope, Buffer.from('not a token').toString('base64'));
  assert.equal((await verify(broken, chain, { verifyTimestamp: 'afterCertExpiry' })).verified, true);
  const brokenAlways = await verify(broken, chain);
  assert.equal(brokenAlways.failure?.check, 'authenticTimestamp');
  assert.match(brokenAlways.failure?.message ?? '', /timestamp token/);
});

test('refused: a token over another signature, a TSA the tsa store does not trust, a timestamp before the certificate was valid', async () => {
  const chain = await chainValid(new Date(Date.now() - DAY), new Date(Date.now() + 30 * DAY));
  const a = await signJws({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date(), timestamp: timestamper });
  const b = await signJws({ target: { ...TARGET, size: 100 }, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date() });
  const swapped = await verify(withTimestamp(b.envelope, timestampOf(a.envelope)), chain);
  assert.equal(swapped.failure?.check, 'authenticTimestamp');
  assert.match(swapped.failure?.message ?? '', /mismatched message/);

  const untrusted = await verify(a.envelope, chain, { tsaTrust: [Buffer.from(chain.root.rawData)] });
  assert.equal(untrusted.failure?.check, 'authenticTimestamp');
  assert.match(untrusted.failure?.message ?? '', /failed to verify the timestamp countersignature/);

  const future = await chainValid(new Date(Date.now() + 2 * DAY), new Date(Date.now() + 30 * DAY));
  const early = await signJws({ target: TARGET, privateKey: future.key.privateKey, chain: future.ders, signingTime: new Date(Date.now() + 3 * DAY), timestamp: timestamper });
  const v = await verify(early.envelope, future, { now: new Date(Date.now() + 4 * DAY) });
  assert.equal(v.failure?.check, 'authenticTimestamp');
  assert.match(v.failure?.message ?? '', /timestamp \[.*\] can be before certificate .* validity period/);
});

test('signing refuses every bad TSA answer, by name', async () => {
  const chain = await chainValid(new Date(Date.now() - DAY), new Date(Date.now() + 30 * DAY));
  const cases: [Tsa['mode'], RegExp][] = [
    ['http-500', /response bad status: 500/],
    ['wrong-content-type', /unexpected response content type: application\/octet-stream/],
    ['oversize', /over the limit of 1048576|larger than the limit of 1048576/],
    ['other-imprint', /message imprint in the timestamp response does not match the request/],
    ['rejection', /the TSA refused the timestamp request: status 2/],
    ['untrusted', /failed to verify the timestamp countersignature/],
  ];
  try {
    for (const [mode, message] of cases) {
      tsa.mode = mode;
      await assert.rejects(signJws({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date(), timestamp: timestamper }), message, mode);
    }
  } finally {
    tsa.mode = 'ok';
  }
});

test('the timestamping chain rules: the TSA leaf needs exactly one, critical, timeStamping EKU', async () => {
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: 'CN=TSA Root', key: rootKey, extensions: caExtensions });
  const leafWith = async (eku: (lib: typeof X509) => X509.Extension): Promise<Certificate[]> => {
    const leaf = await makeCert({ subject: 'CN=TSA', key: await testKey('rsa-3072'), issuer: { cert: root, key: rootKey }, extensions: (lib) => [new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true), eku(lib)] });
    return parseCertificates([Buffer.from(leaf.rawData), Buffer.from(root.rawData)]);
  };
  validateTimestampingChain(await leafWith((lib) => new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.timeStamping], true)));
  assert.throws(() => validateTimestampingChain([]), /at least one certificate/);
  await leafWith((lib) => new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.timeStamping], false)).then((c) => assert.throws(() => validateTimestampingChain(c), /must have extended key usage extension marked as critical/));
  await leafWith((lib) => new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.codeSigning], true)).then((c) => assert.throws(() => validateTimestampingChain(c), /must have and only have Timestamping as extended key usage/));
  await leafWith((lib) => new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.timeStamping, lib.ExtendedKeyUsage.codeSigning], true)).then((c) => assert.throws(() => validateTimestampingChain(c), /must have and only have Timestamping/));
});

test('hostile tokens are refused by name under verifyTimestamp always: not ASN.1, not SignedData, truncated, over 1 MiB', async () => {
  const chain = await chainValid(new Date(Date.now() - DAY), new Date(Date.now() + 30 * DAY));
  const signed = await signJws({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date(), timestamp: timestamper });
  const good = Buffer.from(timestampOf(signed.envelope) as string, 'base64');
  const cases: [Buffer, RegExp][] = [
    [Buffer.from('garbage'), /the timestamp token (is not valid ASN\.1|does not parse|has trailing data)/],
    [Buffer.from([0x30, 0x03, 0x06, 0x01, 0x00]), /the timestamp token/],
    [good.subarray(0, good.length - 20), /the timestamp token is not valid ASN\.1/],
    [Buffer.concat([good, Buffer.from([0x00])]), /trailing data/],
    [Buffer.alloc(1024 * 1024 + 1, 0x30), /over the limit of 1048576/],
  ];
  for (const [token, message] of cases) {
    const v = await verify(withTimestamp(signed.envelope, token.toString('base64')), chain);
    assert.equal(v.failure?.check, 'authenticTimestamp');
    assert.match(v.failure?.message ?? '', message);
  }
});

test('a tsa trust store holds root CAs only (notation-go truststore isRootCACertificate)', async () => {
  const chain = await chainValid(new Date(Date.now() - DAY), new Date(Date.now() + 30 * DAY));
  const signed = await signJws({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date(), timestamp: timestamper });
  // an intermediate CA passes the rule of every store (a CA), not the tsa store's
  const intermediate = await makeCert({ subject: 'CN=Some Intermediate', key: await testKey('ec-384'), issuer: { cert: chain.root, key: await testKey('rsa-2048') }, extensions: caExtensions });
  const v = await verify(signed.envelope, chain, { tsaTrust: [tsaRootDer, Buffer.from(intermediate.rawData)] });
  assert.equal(v.failure?.check, 'authenticTimestamp');
  assert.match(v.failure?.message ?? '', /failed to load tsa trust store with error: .*certificate with subject "CN=Some Intermediate" is not a root CA certificate/);
});

test('a TSA whose certificate is revoked (its root\'s CRL): signing refuses the token, verification fails authenticTimestamp', async () => {
  const crls = await startCrlServer();
  const revokedTsa = await startTsa(join(dir, 'revoked'), { leafExtensions: [`crlDistributionPoints=URI:${crls.base}/tsa-root.crl`] });
  try {
    // the TSA root's CRL, signed with the root's key, listing the TSA's certificate
    const lib = X509;
    const root = new lib.X509Certificate(await readFile(revokedTsa.rootCert, 'utf8'));
    const leaf = new lib.X509Certificate(await readFile(revokedTsa.leafCert, 'utf8'));
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const rootKey = createPrivateKey(await readFile(join(revokedTsa.dir, 'tsa-root.key')));
    const pair = { privateKey: await webcrypto.subtle.importKey('pkcs8', rootKey.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign']), publicKey: await webcrypto.subtle.importKey('spki', createPublicKey(rootKey).export({ type: 'spki', format: 'der' }), alg, true, ['verify']) } as webcrypto.CryptoKeyPair;
    const issuer = { cert: root, key: { kind: 'rsa-2048' as const, pair, privateKey: rootKey, alg } };
    const window = { thisUpdate: new Date(Date.now() - DAY), nextUpdate: new Date(Date.now() + 7 * DAY) };
    const rootDer = parseCertificateFile(await readFile(revokedTsa.rootCert), revokedTsa.rootCert)[0] as Buffer;
    const fetchCrl = crlSource({ transport, now: () => new Date() });
    const stamper = tsaTimestamper({ transport, url: revokedTsa.url, root: await readTsaRoot(rootDer, revokedTsa.rootCert), now: () => new Date(), revocation: { fetchCrl } });
    const chain = await chainValid(new Date(Date.now() - DAY), new Date(Date.now() + 30 * DAY));

    crls.crls.set('/tsa-root.crl', await makeCrl(issuer, [], window));
    const signed = await signJws({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date(), timestamp: stamper });
    const trust = { 'ca:test': [Buffer.from(chain.root.rawData)], 'tsa:ts': [rootDer] };
    const verifyWith = (envelope: Buffer) => verifyNotationSignature({ subject: TARGET, envelope, envelopeMediaType: JWS_ENVELOPE_TYPE, policy: policy(['ca:test', 'tsa:ts']), trustStores: trust, now: new Date(), fetchCrl: crlSource({ transport, now: () => new Date() }) });
    assert.equal((await verifyWith(signed.envelope)).verified, true);

    crls.crls.set('/tsa-root.crl', await makeCrl(issuer, [{ serial: leaf.serialNumber }], window));
    await assert.rejects(signJws({ target: TARGET, privateKey: chain.key.privateKey, chain: chain.ders, signingTime: new Date(), timestamp: stamper }), /timestamp: timestamping certificate with subject ".*" is revoked/);
    const v = await verifyWith(signed.envelope);
    assert.equal(v.failure?.check, 'authenticTimestamp');
    assert.match(v.failure?.message ?? '', /^timestamping certificate with subject ".*TSA" is revoked/);
  } finally {
    await revokedTsa.close();
    await crls.close();
  }
});
