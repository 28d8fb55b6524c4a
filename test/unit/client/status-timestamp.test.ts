// `vouch status` over timestamped Notation signatures: a signature whose RFC 3161 timestamp holds
// against the reader's tsa trust stores keeps verifying after its signing certificate expires
// (notation-go verifyAuthenticTimestamp), so its end is its own expiry, not its leaf's notAfter;
// status says when verifiers without a tsa trust store stop accepting it. A token that does not
// hold (over another signature, from a TSA no tsa store trusts, with no tsa store at all) changes
// nothing: the leaf's notAfter ends it — anyone who can push a signature manifest can rewrite the
// unsigned timestamp. Real tokens from the local openssl TSAs (test/support/tsa.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTsaRoot, tsaTimestamper } from '../../../src/client/tsa.js';
import { withSignatures, type RepoStatus } from '../../../src/client/status.js';
import { exitCodeFor } from '../../../src/cli/commands/status.js';
import { renderStatus } from '../../../src/cli/render/status.js';
import { HttpTransport } from '../../../src/http/index.js';
import { HEADER_TIMESTAMP, JWS_ENVELOPE_TYPE, inspectNotationSignature, parseCertificateFile, signJws, type TargetArtifact, type Timestamper } from '../../../src/sig/index.js';
import { startTsa, type Tsa } from '../../support/tsa.js';
import { LEAF_SUBJECT, ROOT_SUBJECT, caExtensions, leafExtensions, makeCert, testKey } from '../../support/x509.js';

const DAY = 86_400_000;
const HORIZON = 30 * DAY;
const TARGET: TargetArtifact = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 42 };

let dir: string;
let tsa: Tsa;
let otherTsa: Tsa;
let transport: HttpTransport;
let timestamper: Timestamper;
/** the DER roots of the TSA the reader trusts, and of one it does not */
let trusted: Buffer[];
let untrusted: Buffer[];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vouch-status-tsa-'));
  tsa = await startTsa(join(dir, 'a'));
  otherTsa = await startTsa(join(dir, 'b'));
  transport = new HttpTransport({ retries: 0 });
  timestamper = tsaTimestamper({ transport, url: tsa.url, root: await readTsaRoot(await readFile(tsa.rootCert), tsa.rootCert), now: () => new Date() });
  trusted = parseCertificateFile(await readFile(tsa.rootCert), tsa.rootCert);
  untrusted = parseCertificateFile(await readFile(otherTsa.rootCert), otherTsa.rootCert);
});
after(async () => {
  await transport.close();
  await tsa.close();
  await otherTsa.close();
  await rm(dir, { recursive: true, force: true });
});

/** A leaf (valid until `leafDays` from now) under a long-lived root, as DER leaf first. */
async function chain(leafDays: number): Promise<{ key: Awaited<ReturnType<typeof testKey>>; ders: Buffer[]; leafEnds: Date }> {
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, extensions: caExtensions, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 3000 * DAY) });
  const key = await testKey('ec-256');
  const leafEnds = new Date(Date.now() + leafDays * DAY);
  const leaf = await makeCert({ subject: LEAF_SUBJECT, key, issuer: { cert: root, key: rootKey }, extensions: leafExtensions, notBefore: new Date(Date.now() - DAY), notAfter: leafEnds });
  return { key, ders: [Buffer.from(leaf.rawData), Buffer.from(root.rawData)], leafEnds };
}

const empty = (): RepoStatus => ({ repository: 'registry.example/team/app', state: 'ok', items: [], keys: [], signers: [], images: [] });
const status = async (envelope: Buffer, now: Date, tsaRoots: readonly Buffer[] = trusted): Promise<RepoStatus> => {
  const facts = await inspectNotationSignature({ subject: TARGET, envelope, envelopeMediaType: JWS_ENVELOPE_TYPE, tsaRoots });
  return withSignatures(empty(), [{ name: 'registry.example/team/app', digest: TARGET.digest, tags: ['1.0'], more: false, signatures: [{ kind: 'notation', digest: `sha256:${'d'.repeat(64)}`, facts }] }], now, HORIZON);
};
const tokenOf = (envelope: Buffer): string | undefined => (JSON.parse(envelope.toString()) as { header: Record<string, string> }).header[HEADER_TIMESTAMP];
const withToken = (envelope: Buffer, token: string | undefined): Buffer => {
  const doc = JSON.parse(envelope.toString()) as { header: Record<string, string> };
  if (token === undefined) delete doc.header[HEADER_TIMESTAMP]; else doc.header[HEADER_TIMESTAMP] = token;
  return Buffer.from(JSON.stringify(doc));
};

test('a timestamped signature outlives its leaf: no end of its own, fine within the horizon and after the leaf has expired; status says when untimestamped verifiers stop', async () => {
  const c = await chain(5);
  const signed = await signJws({ target: TARGET, privateKey: c.key.privateKey, chain: c.ders, signingTime: new Date(), timestamp: timestamper });
  for (const now of [new Date(), new Date(c.leafEnds.getTime() + 10 * DAY)]) {
    const st = await status(signed.envelope, now);
    const sig = st.images[0]?.signatures[0];
    assert.equal(sig?.verifies, true, sig?.problem);
    assert.equal(sig?.timestamp?.problem, undefined);
    assert.match(sig?.timestamp?.authority ?? '', /CN=tsa TSA/);
    assert.equal(sig?.validUntil, undefined, 'no expiry of its own, and the timestamp carries it past its certificates');
    assert.equal(sig?.untimestampedUntil, c.leafEnds.toISOString().replace(/\.\d{3}Z$/, '.000Z'));
    assert.equal(sig?.state, 'ok');
    assert.equal(st.items.filter((i) => i.kind === 'certificate').length, 0, 'its certificates end none of it');
    assert.equal(st.state, 'ok');
    assert.equal(exitCodeFor([st]), 0);
    assert.match(renderStatus([st], now, HORIZON), /timestamp +\S+ +by [^:]*CN=tsa TSA: verifies after its certificates expire where the trust policy has a tsa trust store trusting this TSA; without one, until \S+/);
  }
  // the same signature without its token ends with its leaf: expiring within 30 days, expired after
  const bare = withToken(signed.envelope, undefined);
  assert.equal((await status(bare, new Date())).images[0]?.signatures[0]?.validUntil, (await status(bare, new Date())).items.find((i) => i.kind === 'certificate')?.expires);
  assert.equal(exitCodeFor([await status(bare, new Date())]), 1);
  assert.equal(exitCodeFor([await status(bare, new Date(c.leafEnds.getTime() + 10 * DAY))]), 2);

  // a TSA the reader's tsa stores do not trust, or no tsa store at all: the timestamp counts for nothing
  for (const [roots, why] of [[untrusted, /failed to verify the timestamp countersignature|unknown authority/], [[], /no tsa trust store is configured/]] as const) {
    const st = await status(signed.envelope, new Date(c.leafEnds.getTime() + 10 * DAY), roots);
    assert.match(st.images[0]?.signatures[0]?.timestamp?.problem ?? '', why);
    assert.equal(st.images[0]?.signatures[0]?.validUntil?.slice(0, 16), c.leafEnds.toISOString().slice(0, 16));
    assert.equal(exitCodeFor([st]), 2, 'the leaf has expired and nothing carries the signature past it');
  }
});

test('a signature expiry still ends a timestamped signature; a token over another signature does not count', async () => {
  const c = await chain(5);
  const expiring = await signJws({ target: TARGET, privateKey: c.key.privateKey, chain: c.ders, signingTime: new Date(), expiry: new Date(Date.now() + 60 * DAY), timestamp: timestamper });
  const st = await status(expiring.envelope, new Date());
  assert.equal(st.images[0]?.signatures[0]?.validUntil?.slice(0, 10), new Date(Date.now() + 60 * DAY).toISOString().slice(0, 10));
  assert.equal(exitCodeFor([st]), 0);

  const other = await signJws({ target: TARGET, privateKey: c.key.privateKey, chain: c.ders, signingTime: new Date(), timestamp: timestamper });
  const plain = await signJws({ target: TARGET, privateKey: c.key.privateKey, chain: c.ders, signingTime: new Date() });
  const borrowed = await status(withToken(plain.envelope, tokenOf(other.envelope)), new Date());
  const sig = borrowed.images[0]?.signatures[0];
  assert.equal(sig?.verifies, true, 'the token is unsigned: the signature itself still holds');
  assert.match(sig?.timestamp?.problem ?? '', /mismatched message/);
  assert.equal(sig?.validUntil?.slice(0, 16), c.leafEnds.toISOString().slice(0, 16), 'the leaf ends it, as without a timestamp');
  assert.equal(exitCodeFor([borrowed]), 1);
  assert.match(renderStatus([borrowed], new Date(), HORIZON), /timestamp +does not count: .*mismatched message/);
});
