// Blob signatures with RFC 3161 timestamps and CRL revocation, through `vouch notation blob …`
// (as notation v2.0.0-alpha.1's blob sign --timestamp-url and blob verify, which run the same
// verifier as images): the token goes into either envelope and is checked against the blob
// policy's tsa store; a revoked signing certificate is refused by name. A local openssl TSA
// (test/support/tsa.ts) and CRL server (test/support/crl.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as X509 from '../../support/x509-lib.js';
import { COSE_ENVELOPE_TYPE, JWS_ENVELOPE_TYPE, verifyEnvelope } from '../../../src/sig/index.js';
import { runCli } from '../../support/cli.js';
import { startCrlServer, type CrlServer } from '../../support/crl.js';
import { startTsa, type Tsa } from '../../support/tsa.js';
import { LEAF_SUBJECT, ROOT_SUBJECT, caExtensions, leafExtensions, makeCert, makeCrl, testKey, type TestKey } from '../../support/x509.js';

const DAY = 86_400_000;
let dir: string;
let tsa: Tsa;
let crls: CrlServer;
let env: Record<string, string>;
let root: { cert: X509.X509Certificate; key: TestKey };
let leaf: X509.X509Certificate;
let keyFile: string;
let chainFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vouch-nblob-tsa-'));
  tsa = await startTsa(join(dir, 'tsa'));
  crls = await startCrlServer();
  // root → leaf naming a CRL, valid around the real clock (the TSA's time is real)
  const rootKey = await testKey('rsa-2048');
  root = { cert: await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: caExtensions, notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() + 365 * DAY) }), key: rootKey };
  const leafKey = await testKey('ec-256');
  leaf = await makeCert({
    subject: LEAF_SUBJECT, key: leafKey, issuer: root, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 30 * DAY),
    extensions: (lib) => [...leafExtensions(lib), new lib.CRLDistributionPointsExtension([`${crls.base}/root.crl`])],
  });
  keyFile = join(dir, 'leaf.key');
  chainFile = join(dir, 'chain.crt');
  await writeFile(keyFile, leafKey.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  await writeFile(chainFile, `${leaf.toString('pem')}\n${root.cert.toString('pem')}\n`);
  const cfg = join(dir, 'config', 'notation');
  await mkdir(join(cfg, 'truststore', 'x509', 'ca', 'test'), { recursive: true });
  await writeFile(join(cfg, 'truststore', 'x509', 'ca', 'test', 'root.pem'), root.cert.toString('pem'));
  await mkdir(join(cfg, 'truststore', 'x509', 'tsa', 'ts'), { recursive: true });
  await writeFile(join(cfg, 'truststore', 'x509', 'tsa', 'ts', 'tsa-root.pem'), await readFile(tsa.rootCert));
  await writeFile(join(cfg, 'trustpolicy.blob.json'), JSON.stringify({
    version: '1.0',
    trustPolicies: [
      { name: 'timestamped', signatureVerification: { level: 'strict' }, trustStores: ['ca:test', 'tsa:ts'], trustedIdentities: ['*'], globalPolicy: true },
      { name: 'plain', signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['*'] },
    ],
  }));
  env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache') };
});
after(async () => {
  await crls.close();
  await tsa.close();
  await rm(dir, { recursive: true, force: true });
});

interface VerifyJson { verified: boolean; verdict?: { failure?: { check: string; message?: string }; checks: { check: string; status: string }[] } }

for (const format of ['jws', 'cose'] as const) {
  test(`blob sign --timestamp-url (${format}): the token is in the envelope and blob verify checks it against the tsa store; a revoked leaf is refused`, async () => {
    crls.crls.set('/root.crl', await makeCrl(root, []));
    const sub = join(dir, format);
    await mkdir(sub);
    const blob = join(sub, 'release.tar.gz');
    await writeFile(blob, `a release (${format})\n`);
    const s = await runCli(['notation', 'blob', 'sign', '--key', keyFile, '--cert', chainFile, '--signature-format', format, '--timestamp-url', tsa.url, '--timestamp-root-cert', tsa.rootCert, blob], env, sub);
    assert.equal(s.code, 0, s.stderr);
    const sig = join(sub, `release.tar.gz.${format}.sig`);
    const env1 = await verifyEnvelope(format === 'jws' ? JWS_ENVELOPE_TYPE : COSE_ENVELOPE_TYPE, await readFile(sig));
    assert.ok(env1.timestampToken, 'the envelope carries io.cncf.notary.timestampSignature');
    const v = await runCli(['notation', 'blob', 'verify', '--signature', sig, '-o', 'json', blob], env, sub);
    assert.equal(v.code, 0, v.stderr);
    const ok = JSON.parse(v.stdout) as VerifyJson;
    assert.equal(ok.verdict?.checks.find((c) => c.check === 'authenticTimestamp')?.status, 'passed');
    assert.equal(ok.verdict?.checks.find((c) => c.check === 'revocation')?.status, 'passed');
    // the leaf revoked in its issuer's CRL (a fresh CRL cache: notation's cache keeps a CRL until its nextUpdate)
    crls.crls.set('/root.crl', await makeCrl(root, [{ serial: leaf.serialNumber }]));
    const r = await runCli(['notation', 'blob', 'verify', '--signature', sig, '--policy-name', 'plain', '-o', 'json', blob], { ...env, XDG_CACHE_HOME: join(dir, `cache-${format}`) }, sub);
    assert.equal(r.code, 1, r.stderr);
    const revoked = JSON.parse(r.stdout) as VerifyJson;
    assert.equal(revoked.verdict?.failure?.check, 'revocation');
    assert.match(revoked.verdict?.failure?.message ?? '', /signing certificate with subject ".*" is revoked/);
  });
}
