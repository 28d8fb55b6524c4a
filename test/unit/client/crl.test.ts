// Revocation by CRL as notation-core-go decides it (revocation/internal/crl/crl.go), through the
// verifier's revocation check and vouch's CRL source (client/crl.ts: http only, bounded, notation's
// file cache, offline mode) against a local CRL server (test/support/crl.ts): a revoked leaf, a
// revoked intermediate, certificateHold and removeFromCRL, an invalidity date, a CRL signed by
// someone else, an expired CRL, an unreachable server; the cache serves an offline verification.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { crlSource } from '../../../src/client/crl.js';
import { ocspQuery } from '../../../src/client/ocsp.js';
import { HttpTransport } from '../../../src/http/index.js';
import {
  JWS_ENVELOPE_TYPE, applicablePolicy, checkChainRevocation, parseCertificates, parseTrustPolicy, signJws, verifyNotationSignature,
  type CrlFetcher, type NotationVerdict, type TargetArtifact,
} from '../../../src/sig/index.js';
import { startCrlServer, type CrlServer } from '../../support/crl.js';
import { setOcspStatus, startOcspResponder } from '../../support/ocsp.js';
import { LEAF_SUBJECT, ROOT_SUBJECT, caExtensions, leafExtensions, makeCert, makeCrl, testKey, type TestKey } from '../../support/x509.js';
import type * as X509 from '../../support/x509-lib.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const TARGET: TargetArtifact = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 99 };

let server: CrlServer;
let dir: string;
let transport: HttpTransport;
before(async () => {
  server = await startCrlServer();
  dir = await mkdtemp(join(tmpdir(), 'vouch-crl-'));
  transport = new HttpTransport({ retries: 0 });
});
after(async () => {
  await transport.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

interface Pki {
  root: { cert: X509.X509Certificate; key: TestKey };
  ca: { cert: X509.X509Certificate; key: TestKey };
  leaf: X509.X509Certificate;
  leafKey: TestKey;
  ders: Buffer[];
}

/** root → intermediate (CRL at /root.crl) → leaf (CRL at /ca.crl). */
async function pki(): Promise<Pki> {
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: caExtensions });
  const caKey = await testKey('ec-384');
  const ca = await makeCert({ subject: 'C=US, O=Vouch Test, CN=Intermediate', key: caKey, issuer: { cert: root, key: rootKey }, extensions: (lib) => [...caExtensions(lib), new lib.CRLDistributionPointsExtension([`${server.base}/root.crl`])] });
  const leafKey = await testKey('ec-256');
  const leaf = await makeCert({ subject: LEAF_SUBJECT, key: leafKey, issuer: { cert: ca, key: caKey }, extensions: (lib) => [...leafExtensions(lib), new lib.CRLDistributionPointsExtension([`${server.base}/ca.crl`])] });
  return { root: { cert: root, key: rootKey }, ca: { cert: ca, key: caKey }, leaf, leafKey, ders: [leaf, ca, root].map((c) => Buffer.from(c.rawData)) };
}

async function publish(p: Pki, o: { leaf?: { reason?: number; invalidity?: Date; revokedAt?: Date }[]; ca?: boolean } = {}): Promise<void> {
  server.crls.set('/ca.crl', await makeCrl(p.ca, (o.leaf ?? []).map((e) => ({ serial: p.leaf.serialNumber, ...e }))));
  server.crls.set('/root.crl', await makeCrl(p.root, o.ca ? [{ serial: p.ca.cert.serialNumber }] : []));
}

const fetcher = (cacheDir?: string, offline = false): CrlFetcher => crlSource({ transport, now: () => NOW, ...(cacheDir ? { cacheDir } : {}), offline });

async function verdict(p: Pki, fetchCrl: CrlFetcher | undefined, level = 'strict', signingTime = new Date('2026-05-01T00:00:00Z')): Promise<NotationVerdict> {
  const signed = await signJws({ target: TARGET, privateKey: p.leafKey.privateKey, chain: p.ders, signingTime });
  return verifyNotationSignature({
    subject: TARGET, envelope: signed.envelope, envelopeMediaType: JWS_ENVELOPE_TYPE,
    policy: applicablePolicy(parseTrustPolicy(JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'p', registryScopes: ['*'], signatureVerification: { level }, trustStores: ['ca:test'], trustedIdentities: ['*'] }] })), 'r.example/app'),
    trustStores: { 'ca:test': [Buffer.from(p.root.cert.rawData)] }, now: NOW, ...(fetchCrl ? { fetchCrl } : {}),
  });
}

test('an unrevoked chain passes; a revoked leaf and a revoked intermediate fail revocation by name', async () => {
  const p = await pki();
  await publish(p);
  const ok = await verdict(p, fetcher());
  assert.equal(ok.verified, true, JSON.stringify(ok.failure));
  assert.equal(ok.checks.find((c) => c.check === 'revocation')?.status, 'passed');

  await publish(p, { leaf: [{}] });
  const leaf = await verdict(p, fetcher());
  assert.deepEqual([leaf.failure?.check, leaf.failure?.status], ['revocation', 'failed']);
  assert.match(leaf.failure?.message ?? '', /^signing certificate with subject ".*CN=signer" is revoked/);
  // permissive logs it
  assert.equal((await verdict(p, fetcher(), 'permissive')).verified, true);

  await publish(p, { ca: true });
  const ca = await verdict(p, fetcher());
  assert.deepEqual([ca.failure?.check, ca.failure?.status], ['revocation', 'failed']);
  assert.match(ca.failure?.message ?? '', /subject ".*CN=Intermediate" is revoked/);
});

test('reason codes as notation: certificateHold revokes, removeFromCRL does not; an invalidity date after the authentic signing time does not count', async () => {
  const p = await pki();
  const chain = await parseCertificates(p.ders);
  const status = async (): Promise<string> => (await checkChainRevocation(chain, { fetchCrl: fetcher() }, NOW)).status;
  await publish(p, { leaf: [{ reason: 6 }] });
  assert.equal(await status(), 'revoked');
  await publish(p, { leaf: [{ reason: 8 }] });
  assert.equal(await status(), 'ok');
  await publish(p, { leaf: [{ reason: 1, invalidity: new Date('2026-05-15T00:00:00Z') }] });
  assert.equal(await status(), 'revoked');
  assert.equal((await checkChainRevocation(chain, { fetchCrl: fetcher() }, NOW, new Date('2026-05-01T00:00:00Z'))).status, 'ok');
});

test('unknown (inconclusive under strict): a CRL signed by another CA, an expired CRL, a CRL without nextUpdate, an unreachable server, garbage, https', async () => {
  const p = await pki();
  const chain = await parseCertificates(p.ders);
  const other = { cert: await makeCert({ subject: 'C=US, O=Vouch Test, CN=Intermediate', key: await testKey('ec-384', true), extensions: caExtensions }), key: await testKey('ec-384', true) };
  const expectUnknown = async (setup: () => Promise<void>, detail: RegExp): Promise<void> => {
    await publish(p);
    await setup();
    const r = await checkChainRevocation(chain, { fetchCrl: fetcher() }, NOW);
    assert.equal(r.status, 'unknown');
    assert.match(r.detail ?? '', detail);
  };
  await expectUnknown(async () => { server.crls.set('/ca.crl', await makeCrl(other, [])); }, /failed to validate CRL from .*\/ca\.crl: CRL is not signed by CA/);
  await expectUnknown(async () => { server.crls.set('/ca.crl', await makeCrl(p.ca, [], { nextUpdate: new Date('2026-05-01T00:00:00Z') })); }, /expired CRL/);
  await expectUnknown(async () => { server.crls.set('/ca.crl', await makeCrl(p.ca, [], { nextUpdate: null })); }, /CRL NextUpdate is not set/);
  await expectUnknown(async () => { server.crls.set('/ca.crl', Buffer.from('not a crl')); }, /failed to download CRL from .*: the CRL from .* is not a DER CRL/);
  await expectUnknown(async () => { server.crls.set('/ca.crl', Buffer.alloc(32 * 1024 * 1024 + 1, 0x30)); }, /failed to download CRL from .*over the limit of 33554431/);
  await expectUnknown(async () => { server.down = true; }, /failed to download CRL from .*status code: 503/);
  server.down = false;
  const v = await verdict(p, async () => { throw new Error('unreachable'); });
  assert.deepEqual([v.failure?.check, v.failure?.status], ['revocation', 'inconclusive']);
  assert.match(v.failure?.message ?? '', /revocation status is unknown/);
  await assert.rejects(fetcher()('https://127.0.0.1:1/x.crl'), /unsupported scheme: https/);
});

test('the cache: notation\'s layout, reused until nextUpdate; offline uses only the cache', async () => {
  const p = await pki();
  await publish(p, { leaf: [{}] });
  const cache = join(dir, 'cache');
  const offlineEmpty = await verdict(p, fetcher(cache, true));
  assert.deepEqual([offlineEmpty.failure?.check, offlineEmpty.failure?.status], ['revocation', 'inconclusive']);
  assert.match(offlineEmpty.failure?.message ?? '', /not in the cache \(offline/);

  const before = server.requests;
  assert.equal((await verdict(p, fetcher(cache))).failure?.message?.includes('is revoked'), true);
  assert.equal(server.requests - before, 2, 'both CRLs fetched once');
  const names = (await readdir(cache)).sort();
  assert.deepEqual(names, [`${server.base}/ca.crl`, `${server.base}/root.crl`].map((u) => createHash('sha256').update(u).digest('hex')).sort());
  const entry = JSON.parse((await readFile(join(cache, names[0] as string))).toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(entry), ['baseCRL']);

  server.down = true;
  try {
    const offline = await verdict(p, fetcher(cache, true));
    assert.match(offline.failure?.message ?? '', /is revoked/);
    const cached = await verdict(p, fetcher(cache));
    assert.match(cached.failure?.message ?? '', /is revoked/, 'served from the cache while the server is down');
  } finally {
    server.down = false;
  }
  // past nextUpdate the cached CRL is not used
  const late = crlSource({ transport, now: () => new Date('2027-07-01T00:00:00Z'), cacheDir: cache, offline: true });
  await assert.rejects(late(`${server.base}/ca.crl`), /not in the cache/);
});

test('a certificate naming more CRL locations than the limit is unknown, and nothing is fetched', async () => {
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: caExtensions });
  const urls = Array.from({ length: 9 }, (_, i) => `${server.base}/many-${i}.crl`);
  const leaf = await makeCert({ subject: LEAF_SUBJECT, key: await testKey('ec-256'), issuer: { cert: root, key: rootKey }, extensions: (lib) => [...leafExtensions(lib), new lib.CRLDistributionPointsExtension(urls)] });
  let fetched = 0;
  const r = await checkChainRevocation(await parseCertificates([leaf, root].map((c) => Buffer.from(c.rawData))), { fetchCrl: async () => { fetched++; return Buffer.alloc(0); } }, NOW);
  assert.equal(r.status, 'unknown');
  assert.match(r.detail ?? '', /names 9 CRL locations, more than the limit of 8/);
  assert.equal(fetched, 0);
});

test('OCSP: good passes, revoked fails, unknown to the responder is unknown; an unreachable responder falls back to the CRLs, and with no CRL it is unknown', async () => {
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: caExtensions });
  const responder = await startOcspResponder();
  responder.issuer = { der: Buffer.from(root.rawData), key: rootKey.pair.privateKey };
  const leafWith = async (extra: (lib: typeof X509) => X509.Extension[]): Promise<X509.X509Certificate> =>
    makeCert({ subject: LEAF_SUBJECT, key: await testKey('ec-256'), issuer: { cert: root, key: rootKey }, extensions: (lib) => [...leafExtensions(lib), ...extra(lib)] });
  const good = await leafWith((lib) => [new lib.AuthorityInfoAccessExtension({ ocsp: responder.url })]);
  const bad = await leafWith((lib) => [new lib.AuthorityInfoAccessExtension({ ocsp: responder.url })]);
  const stranger = await leafWith((lib) => [new lib.AuthorityInfoAccessExtension({ ocsp: responder.url })]);
  const deadResponder = await leafWith((lib) => [new lib.AuthorityInfoAccessExtension({ ocsp: 'http://127.0.0.1:1' }), new lib.CRLDistributionPointsExtension([`${server.base}/ocsp-root.crl`])]);
  const deadOnly = await leafWith((lib) => [new lib.AuthorityInfoAccessExtension({ ocsp: 'http://127.0.0.1:1' })]);
  setOcspStatus(responder, good.serialNumber, false);
  setOcspStatus(responder, bad.serialNumber, true);
  try {
    const sources = { queryOcsp: ocspQuery(transport), fetchCrl: fetcher() };
    const status = async (leaf: X509.X509Certificate, now = new Date()) => checkChainRevocation(await parseCertificates([leaf, root].map((c) => Buffer.from(c.rawData))), sources, now);
    const ok = await status(good);
    assert.equal(ok.status, 'ok', ok.detail);
    const revoked = await status(bad);
    assert.deepEqual([revoked.status, revoked.detail], ['revoked', `revoked according to the OCSP responder ${responder.url}`]);
    const unknownToIt = await status(stranger);
    assert.deepEqual([unknownToIt.status, unknownToIt.detail], ['unknown', `the OCSP responder ${responder.url} does not know the certificate`]);
    server.crls.set('/ocsp-root.crl', await makeCrl({ cert: root, key: rootKey }, [{ serial: deadResponder.serialNumber }], { thisUpdate: new Date(Date.now() - 86_400_000), nextUpdate: new Date(Date.now() + 86_400_000) }));
    const fallback = await status(deadResponder);
    assert.deepEqual([fallback.status, fallback.detail], ['revoked', `listed in the CRL from ${server.base}/ocsp-root.crl`]);
    const unknown = await status(deadOnly);
    assert.equal(unknown.status, 'unknown');
    assert.match(unknown.detail ?? '', /OCSP check at http:\/\/127\.0\.0\.1:1 failed/);
    // an answer past its nextUpdate (now + 1 day) is not used
    const stale = await status(good, new Date(Date.now() + 3 * 86_400_000));
    assert.deepEqual([stale.status, /expired OCSP response/.test(stale.detail ?? '')], ['unknown', true]);
    // an answer signed by another key is not used
    responder.issuer = { der: Buffer.from(root.rawData), key: (await testKey('rsa-2048', true)).pair.privateKey };
    const forged = await status(bad);
    assert.equal(forged.status, 'unknown');
    assert.match(forged.detail ?? '', /OCSP response (signature does not verify|is not signed by the issuer)/);
  } finally {
    await responder.close();
  }
});
