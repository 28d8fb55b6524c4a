// RFC 3161 timestamps and CRL revocation against the real `notation` v1.3.2, in OCI image layouts
// (the place does not matter to either check; test/interop/notation.test.ts covers the places):
//  - `notation sign --timestamp-url` against the tests' openssl TSA (test/support/tsa.ts) →
//    `vouch notation verify` (verifyTimestamp always), and refused by both with an untrusted TSA;
//  - `vouch notation sign --timestamp-url` → `notation verify` accepts it;
//  - the same both ways with COSE envelopes (`--signature-format cose`);
//  - a signing certificate that expires after signing: rescued by the timestamp in both tools
//    under `afterCertExpiry`, refused by both without a tsa trust store;
//  - CRLs (test/support/crl.ts): an unrevoked chain passes in both, a revoked leaf and a revoked
//    intermediate are refused by both, notation's verdict recorded beside ours;
//  - OCSP (test/support/ocsp.ts): good passes in both, revoked is refused by both.
// A missing binary is a failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as X509 from '../support/x509-lib.js';
import { OciLayout, blobPath } from '../../src/oci/layout.js';
import { verifyCoseEnvelope } from '../../src/sig/index.js';
import { runCli, type CliResult } from '../support/cli.js';
import { startCrlServer, type CrlServer } from '../support/crl.js';
import { buildImageLayout } from '../support/image.js';
import { makeNotationHome, notationBinary, runNotation, type SigningIdentity } from '../support/notation.js';
import type { RunResult } from '../support/peers.js';
import { setOcspStatus, startOcspResponder } from '../support/ocsp.js';
import { startTsa, type Tsa } from '../support/tsa.js';
import { caExtensions, leafExtensions, makeCert, makeCrl, testKey, type TestKey } from '../support/x509.js';
import { scratchDirs } from '../support/scratch.js';

const DAY = 86_400_000;
const scratch = scratchDirs();
const tempDir = scratch.tempDir;
const show = (r: { code: number; stdout: string; stderr: string }): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

interface Issuer { cert: X509.X509Certificate; key: TestKey }
interface Pki { dir: string; root: Issuer; ca: Issuer; leaf: X509.X509Certificate; id: SigningIdentity; rootFile: string }

/**
 * root → intermediate → leaf as PEM files notation reads. `crl`: the intermediate names
 * `<base>/<tag>-root.crl`, the leaf `<base>/<tag>-ca.crl`. `leafUntil`: the leaf's notAfter.
 */
async function makePki(tag: string, o: { crl?: string; ocsp?: string; leafUntil?: Date } = {}): Promise<Pki> {
  const dir = await tempDir(`vouch-ntsa-${tag}-`);
  const from = new Date(Date.now() - DAY);
  const rootKey = await testKey('rsa-2048', true);
  const root = await makeCert({ subject: `C=US, ST=WA, O=Vouch Test, CN=${tag} Root`, key: rootKey, extensions: caExtensions, notBefore: from, notAfter: new Date(Date.now() + 365 * DAY) });
  const caKey = await testKey('rsa-2048', true);
  const ca = await makeCert({
    subject: `C=US, ST=WA, O=Vouch Test, CN=${tag} Intermediate`, key: caKey, issuer: { cert: root, key: rootKey }, notBefore: from, notAfter: new Date(Date.now() + 300 * DAY),
    extensions: (lib) => [...caExtensions(lib), ...(o.crl ? [new lib.CRLDistributionPointsExtension([`${o.crl}/${tag}-root.crl`])] : [])],
  });
  const leafKey = await testKey('ec-256', true);
  const leaf = await makeCert({
    subject: `C=US, ST=WA, O=Vouch Test, CN=${tag} signer`, key: leafKey, issuer: { cert: ca, key: caKey }, notBefore: from, notAfter: o.leafUntil ?? new Date(Date.now() + 200 * DAY),
    extensions: (lib) => [...leafExtensions(lib), ...(o.crl ? [new lib.CRLDistributionPointsExtension([`${o.crl}/${tag}-ca.crl`])] : []), ...(o.ocsp ? [new lib.AuthorityInfoAccessExtension({ ocsp: o.ocsp })] : [])],
  });
  const key = join(dir, 'leaf.key');
  await writeFile(key, leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const chain = join(dir, 'chain.crt');
  await writeFile(chain, [leaf, ca, root].map((c) => c.toString('pem')).join('\n'));
  const rootFile = join(dir, 'root.crt');
  await writeFile(rootFile, root.toString('pem'));
  await writeFile(join(dir, 'leaf.crt'), leaf.toString('pem'));
  return { dir, root: { cert: root, key: rootKey }, ca: { cert: ca, key: caKey }, leaf, id: { key, chain, leaf: join(dir, 'leaf.crt') }, rootFile };
}

function policy(o: { tsa?: boolean; verifyTimestamp?: string } = {}): unknown {
  return {
    version: '1.0',
    trustPolicies: [{
      name: 'global', registryScopes: ['*'],
      signatureVerification: { level: 'strict', ...(o.verifyTimestamp ? { verifyTimestamp: o.verifyTimestamp } : {}) },
      trustStores: ['ca:test', ...(o.tsa ? ['tsa:ts'] : [])], trustedIdentities: ['*'],
    }],
  };
}

async function home(p: Pki, o: { tsaRoot?: string; verifyTimestamp?: string } = {}): Promise<Record<string, string>> {
  return makeNotationHome(await tempDir('vouch-ntsa-home-'), {
    trustStores: { test: [p.rootFile] },
    ...(o.tsaRoot ? { tsaStores: { ts: [o.tsaRoot] } } : {}),
    policy: policy({ tsa: o.tsaRoot !== undefined, ...(o.verifyTimestamp ? { verifyTimestamp: o.verifyTimestamp } : {}) }),
    signingKeys: { signer: p.id },
  });
}

interface Img { layout: string; digest: string }
async function image(name: string): Promise<Img> {
  const img = await buildImageLayout(await tempDir('vouch-ntsa-layout-'), name, 'v1', `tsa/crl interop ${name} ${Math.random()}`);
  return { layout: img.layout, digest: img.digest };
}
const at = (img: Img): string => `${img.layout}@${img.digest}`;

/** The envelopes of the signatures of `img` in its layout. */
async function layoutEnvelopes(img: Img): Promise<Buffer[]> {
  const l = await OciLayout.open(img.layout);
  const out: Buffer[] = [];
  for (const d of l.manifests) {
    const m = JSON.parse((await readFile(blobPath(img.layout, d.digest))).toString()) as { subject?: { digest: string }; layers?: { digest: string }[] };
    if (m.subject?.digest === img.digest && m.layers?.[0]) out.push(await readFile(blobPath(img.layout, m.layers[0].digest)));
  }
  return out;
}

async function notationSign(e: Record<string, string>, img: Img, extra: string[] = []): Promise<void> {
  const r = await runNotation(e, ['sign', '--oci-layout', '--key', 'signer', ...extra, at(img)]);
  assert.equal(r.code, 0, show(r));
}
async function vouchSign(e: Record<string, string>, p: Pki, img: Img, extra: string[] = []): Promise<void> {
  const r = await runCli(['notation', 'sign', '--oci-layout', '--key', p.id.key, '--cert', p.id.chain, ...extra, at(img)], e);
  assert.equal(r.code, 0, show(r));
}

interface Verdicts { vouch: CliResult; failure?: { check: string; status: string; message?: string }; notation: RunResult }
/** Both tools' verdicts on `img` under `e`. */
async function verifyBoth(e: Record<string, string>, img: Img): Promise<Verdicts> {
  const v = await runCli(['notation', 'verify', '--oci-layout', '--scope', 'local/app', at(img), '-o', 'json'], e);
  const json = JSON.parse(v.stdout) as { signatures: { verdict?: { failure?: { check: string; status: string; message?: string } } }[] };
  const failure = json.signatures[0]?.verdict?.failure;
  const n = await runNotation(e, ['verify', '-v', '--oci-layout', '--scope', 'local/app', at(img)]);
  return { vouch: v, ...(failure ? { failure } : {}), notation: n };
}

function bothPass(r: Verdicts): void {
  assert.equal(r.vouch.code, 0, show(r.vouch));
  assert.equal(r.notation.code, 0, show(r.notation));
}

/** Both refuse; vouch names `check` with `ours`, notation says `theirs` (its verdict, recorded here). */
function bothRefuse(r: Verdicts, check: string, ours: RegExp, theirs: RegExp): void {
  assert.equal(r.vouch.code, 1, show(r.vouch));
  assert.equal(r.failure?.check, check, show(r.vouch));
  assert.match(r.failure?.message ?? '', ours);
  assert.equal(r.notation.code, 1, show(r.notation));
  assert.match(r.notation.stderr, theirs, show(r.notation));
}

let tsa: Tsa;
let otherTsa: Tsa;
let crls: CrlServer;

before(async () => {
  await notationBinary();
  tsa = await startTsa(await tempDir('vouch-ntsa-tsa-'));
  otherTsa = await startTsa(await tempDir('vouch-ntsa-tsa2-'));
  crls = await startCrlServer();
});
after(async () => {
  await tsa?.close();
  await otherTsa?.close();
  await crls?.close();
  await scratch.removeAll();
});

describe('notation interop: RFC 3161 timestamps', () => {
  test('notation sign --timestamp-url → vouch notation verify (verifyTimestamp always); an untrusted TSA is refused by both', async () => {
    const p = await makePki('ts1');
    const e = await home(p, { tsaRoot: tsa.rootCert });
    const img = await image('n-ts');
    await notationSign(e, img, ['--timestamp-url', tsa.url, '--timestamp-root-cert', tsa.rootCert]);
    const ok = await verifyBoth(e, img);
    bothPass(ok);
    const untrusted = await verifyBoth(await home(p, { tsaRoot: otherTsa.rootCert }), img);
    bothRefuse(untrusted, 'authenticTimestamp', /failed to verify the timestamp countersignature/, /authenticTimestamp validation failed.*failed to verify the timestamp countersignature/);
  });

  test('vouch notation sign --timestamp-url → notation verify accepts it; a bad TSA root is refused when signing', async () => {
    const p = await makePki('ts2');
    const e = await home(p, { tsaRoot: tsa.rootCert });
    const img = await image('v-ts');
    await vouchSign(e, p, img, ['--timestamp-url', tsa.url, '--timestamp-root-cert', tsa.rootCert]);
    const [envelope] = await layoutEnvelopes(img);
    assert.ok((JSON.parse((envelope as Buffer).toString()) as { header: Record<string, unknown> }).header['io.cncf.notary.timestampSignature'], 'the envelope carries the token');
    bothPass(await verifyBoth(e, img));
    // the TSA's token does not chain to the root given: refused before anything is written
    const wrong = await runCli(['notation', 'sign', '--oci-layout', '--key', p.id.key, '--cert', p.id.chain, '--timestamp-url', tsa.url, '--timestamp-root-cert', otherTsa.rootCert, at(await image('v-ts-bad'))], e);
    assert.notEqual(wrong.code, 0, show(wrong));
    assert.match(wrong.stderr, /timestamp: failed to verify the timestamp countersignature/);
    const half = await runCli(['notation', 'sign', '--oci-layout', '--key', p.id.key, '--cert', p.id.chain, '--timestamp-url', tsa.url, at(img)], e);
    assert.equal(half.code, 2, show(half));
    assert.match(half.stderr, /\[timestamp-url timestamp-root-cert\] are set they must all be set/);
  });

  test('COSE envelopes: notation sign --signature-format cose --timestamp-url → vouch verifies; vouch signs the same → notation verifies; an untrusted TSA is refused by both', async () => {
    const p = await makePki('tscose');
    const e = await home(p, { tsaRoot: tsa.rootCert });
    const stamp = ['--signature-format', 'cose', '--timestamp-url', tsa.url, '--timestamp-root-cert', tsa.rootCert];
    const byNotation = await image('n-ts-cose');
    const byVouch = await image('v-ts-cose');
    await notationSign(e, byNotation, stamp);
    await vouchSign(e, p, byVouch, stamp);
    for (const img of [byNotation, byVouch]) {
      const [envelope] = await layoutEnvelopes(img);
      assert.ok((await verifyCoseEnvelope(envelope as Buffer)).timestampToken, 'a COSE envelope carrying the token');
      bothPass(await verifyBoth(e, img));
      const untrusted = await verifyBoth(await home(p, { tsaRoot: otherTsa.rootCert }), img);
      bothRefuse(untrusted, 'authenticTimestamp', /failed to verify the timestamp countersignature/, /authenticTimestamp validation failed.*failed to verify the timestamp countersignature/);
    }
  });

  test('a signing certificate expired since signing: rescued by the timestamp in both tools (afterCertExpiry), refused by both without a tsa store', async () => {
    const p = await makePki('ts3', { leafUntil: new Date(Date.now() + 8000) });
    const e = await home(p, { tsaRoot: tsa.rootCert, verifyTimestamp: 'afterCertExpiry' });
    const byNotation = await image('n-exp');
    const byVouch = await image('v-exp');
    await notationSign(e, byNotation, ['--timestamp-url', tsa.url, '--timestamp-root-cert', tsa.rootCert]);
    await vouchSign(e, p, byVouch, ['--timestamp-url', tsa.url, '--timestamp-root-cert', tsa.rootCert]);
    const wait = p.leaf.notAfter.getTime() - Date.now() + 1500;
    if (wait > 0) await sleep(wait); // until the leaf has expired (no assertion on timing)
    const noTsa = await home(p);
    for (const img of [byNotation, byVouch]) {
      bothPass(await verifyBoth(e, img));
      bothRefuse(await verifyBoth(noTsa, img), 'authenticTimestamp', /verification time is after certificate .* validity period/, /authenticTimestamp validation failed.*verification time is after certificate .* validity period/);
    }
  });
});

describe('notation interop: revocation by OCSP', () => {
  test('good: passes in both; revoked: refused by both (notation asks OCSP first, as vouch does)', async () => {
    const responder = await startOcspResponder();
    try {
      const p = await makePki('ocsp', { ocsp: responder.url });
      responder.issuer = { der: Buffer.from(p.ca.cert.rawData), key: p.ca.key.pair.privateKey };
      const e = await home(p);
      const byNotation = await image('n-ocsp');
      const byVouch = await image('v-ocsp');
      await notationSign(e, byNotation);
      await vouchSign(e, p, byVouch);
      setOcspStatus(responder, p.leaf.serialNumber, false);
      for (const img of [byNotation, byVouch]) bothPass(await verifyBoth(e, img));
      setOcspStatus(responder, p.leaf.serialNumber, true);
      for (const img of [byNotation, byVouch]) {
        bothRefuse(await verifyBoth(e, img), 'revocation', /signing certificate with subject ".*CN=ocsp signer" is revoked/, /revocation validation failed.*signing certificate with subject ".*CN=ocsp signer.*" is revoked/);
      }
    } finally {
      await responder.close();
    }
  });
});

describe('notation interop: revocation by CRL', () => {
  const publish = async (p: Pki, tag: string, revoked: { leaf?: boolean; ca?: boolean }): Promise<void> => {
    crls.crls.set(`/${tag}-ca.crl`, await makeCrl(p.ca, revoked.leaf ? [{ serial: p.leaf.serialNumber }] : [], { thisUpdate: new Date(Date.now() - DAY), nextUpdate: new Date(Date.now() + 7 * DAY) }));
    crls.crls.set(`/${tag}-root.crl`, await makeCrl(p.root, revoked.ca ? [{ serial: p.ca.cert.serialNumber }] : [], { thisUpdate: new Date(Date.now() - DAY), nextUpdate: new Date(Date.now() + 7 * DAY) }));
  };

  for (const [tag, revoked, who] of [['crl-ok', {}, ''], ['crl-leaf', { leaf: true }, 'signer'], ['crl-ca', { ca: true }, 'Intermediate']] as const) {
    test(`${who ? `a revoked ${who === 'signer' ? 'leaf' : 'intermediate'}: refused by both` : 'an unrevoked chain: passes in both'} (signed by each tool)`, async () => {
      const p = await makePki(tag, { crl: crls.base });
      await publish(p, tag, revoked);
      const e = await home(p);
      const byNotation = await image(`n-${tag}`);
      const byVouch = await image(`v-${tag}`);
      await notationSign(e, byNotation);
      await vouchSign(e, p, byVouch);
      for (const img of [byNotation, byVouch]) {
        const r = await verifyBoth(e, img);
        if (!who) bothPass(r);
        else bothRefuse(r, 'revocation', new RegExp(`signing certificate with subject ".*CN=${tag} ${who}" is revoked`), new RegExp(`revocation validation failed.*signing certificate with subject ".*CN=${tag} ${who}.*" is revoked`));
      }
    });
  }

  test('offline: vouch uses the CRLs notation cached (and its own); nothing cached is inconclusive', async () => {
    const tag = 'crl-offline';
    const p = await makePki(tag, { crl: crls.base });
    await publish(p, tag, { leaf: true });
    const e = await home(p);
    const img = await image('n-offline');
    await notationSign(e, img);
    const verifyOffline = (): Promise<CliResult> => runCli(['notation', 'verify', '--oci-layout', '--scope', 'local/app', at(img), '-o', 'json', '--crl-offline'], e);
    const cold = await verifyOffline();
    assert.equal(cold.code, 1, show(cold));
    assert.match(cold.stdout, /revocation status is unknown.*not in the cache \(offline/);
    // notation fetches and caches both CRLs in $HOME/.cache/notation/crl; vouch reads them offline
    const n = await runNotation(e, ['verify', '--oci-layout', '--scope', 'local/app', at(img)]);
    assert.equal(n.code, 1, show(n));
    const before = crls.requests;
    const warm = await verifyOffline();
    assert.equal(warm.code, 1, show(warm));
    assert.match(warm.stdout, /signing certificate with subject .* is revoked/);
    assert.equal(crls.requests, before, 'no CRL fetched offline');
  });
});
