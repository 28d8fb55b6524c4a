// vouch notation list / inspect in-process on OCI layouts: notation's tree and JSON shapes, the
// signature limit, signatures vouch cannot read (shown with the reason, exit 1), a signature
// whose JWS signature does not verify (inspect shows what it claims), and the withdrawn OCI
// 1.1-rc artifact manifest that notation-go still reads (list, inspect and verify read it too).
// COSE signatures are shown as JWS ones. Also the Go formats inspect prints: pkix.Name.String(),
// time.RFC3339 and time.ANSIC.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { digestOf } from '../../../src/core/index.js';
import { goAnsic, goRfc3339 } from '../../../src/cli/commands/notation-inspect.js';
import { blobPath } from '../../../src/oci/layout.js';
import { goDistinguishedName } from '../../../src/sig/index.js';
import { runCli, type CliResult } from '../../support/cli.js';
import { buildImageLayout, type ImageLayout } from '../../support/image.js';
import { makeChain } from '../../support/x509.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';
const SIG = 'application/vnd.cncf.notary.signature';

let dir: string;
let env: Record<string, string>;
let key: string;
let cert: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vouch-ninspect-'));
  const chain = await makeChain('ec-256');
  key = join(dir, 'leaf.key');
  cert = join(dir, 'chain.crt');
  await writeFile(key, chain.key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  await writeFile(cert, `${chain.leaf.toString('pem')}\n${chain.root.toString('pem')}\n`);
  const cfg = join(dir, 'config', 'notation');
  await mkdir(join(cfg, 'truststore', 'x509', 'ca', 'test'), { recursive: true });
  await writeFile(join(cfg, 'truststore', 'x509', 'ca', 'test', 'root.pem'), chain.root.toString('pem'));
  await writeFile(join(cfg, 'trustpolicy.json'), JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'app', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:test'], trustedIdentities: ['*'] }] }));
  env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config') };
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

let n = 0;
const image = async (): Promise<ImageLayout> => buildImageLayout(join(dir, `img${++n}`), 'app', 'v1', `inspect ${n}`);
const ref = (img: ImageLayout): string => `${img.layout}@${img.digest}`;
const vouch = (args: string[]): Promise<CliResult> => runCli(['notation', ...args], env, dir);
const show = (r: CliResult): string => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

async function sign(img: ImageLayout, args: string[] = []): Promise<void> {
  const r = await vouch(['sign', '--oci-layout', ref(img), '--key', key, '--cert', cert, ...args]);
  assert.equal(r.code, 0, show(r));
}

interface IndexJson { manifests: { mediaType: string; digest: string; size: number }[] }
const readIndex = async (img: ImageLayout): Promise<IndexJson> => JSON.parse(await readFile(join(img.layout, 'index.json'), 'utf8')) as IndexJson;

/** Adds a manifest (and its blobs) to the layout's index.json, untagged. */
async function attach(img: ImageLayout, manifest: unknown, mediaType: string, blobs: Buffer[]): Promise<string> {
  const bytes = Buffer.from(JSON.stringify(manifest));
  for (const b of [...blobs, bytes]) await writeFile(blobPath(img.layout, digestOf(b)), b);
  const index = await readIndex(img);
  index.manifests.push({ mediaType, digest: digestOf(bytes), size: bytes.length });
  await writeFile(join(img.layout, 'index.json'), JSON.stringify(index));
  return digestOf(bytes);
}

/** The envelope of the signature vouch made in `img`. */
async function envelopeOf(img: ImageLayout): Promise<{ envelope: Buffer; annotations: Record<string, string> }> {
  for (const d of (await readIndex(img)).manifests) {
    const m = JSON.parse(await readFile(blobPath(img.layout, d.digest), 'utf8')) as { subject?: unknown; layers: { digest: string }[]; annotations: Record<string, string> };
    if (m.subject) return { envelope: await readFile(blobPath(img.layout, (m.layers[0] as { digest: string }).digest)), annotations: m.annotations };
  }
  throw new Error('no signature');
}

test('list: notation\'s tree of signature manifest digests; none; --max-signatures', async () => {
  const img = await image();
  const none = await vouch(['ls', '--oci-layout', ref(img)]);
  assert.equal(none.code, 0, show(none));
  assert.equal(none.stdout, `${ref(img)} has no associated signature\n`);
  await sign(img);
  await sign(img, ['-m', 'build=1']);
  const sigs = (await readIndex(img)).manifests.slice(1).map((m) => m.digest);
  const r = await vouch(['list', '--oci-layout', ref(img)]);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout, `${ref(img)}\n└── ${SIG}\n    ├── ${sigs[0] as string}\n    └── ${sigs[1] as string}\n`);
  const one = await vouch(['ls', '--oci-layout', '--max-signatures', '1', ref(img)]);
  assert.equal(one.stdout, `${ref(img)}\n└── ${SIG}\n    └── ${sigs[0] as string}\nWarning: exceeded configured limit of max signatures 1 to examine\n`);
  for (const bad of ['0', '-1', 'x']) {
    const usage = await vouch(['ls', '--oci-layout', '--max-signatures', bad, ref(img)]);
    assert.equal(usage.code, 2, show(usage));
  }
  const tag = await vouch(['ls', '--oci-layout', `${img.layout}:v1`]);
  assert.match(tag.stderr, /Warning: Always list the artifact using digest\(@sha256:\.\.\.\) rather than a tag\(:v1\)/);
});

test('inspect -o json: notation\'s fields for each signature; the text tree', async () => {
  const img = await image();
  await sign(img, ['-m', 'build=42', '-e', '24h']);
  const r = await vouch(['inspect', '--oci-layout', '-o', 'json', ref(img)]);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stdout, /^\{\n {4}"mediaType"/, 'four-space indent, as notation');
  const out = JSON.parse(r.stdout) as { mediaType: string; Signatures: Record<string, unknown>[] };
  assert.equal(out.mediaType, OCI_MANIFEST);
  assert.equal(out.Signatures.length, 1);
  const s = out.Signatures[0] as Record<string, unknown>;
  assert.deepEqual(Object.keys(s), ['mediaType', 'digest', 'signatureAlgorithm', 'signedAttributes', 'userDefinedAttributes', 'unsignedAttributes', 'certificates', 'signedArtifact']);
  assert.equal(s.mediaType, 'application/jose+json');
  assert.equal(s.signatureAlgorithm, 'ECDSA-SHA-256');
  const signed = s.signedAttributes as Record<string, string>;
  assert.deepEqual(Object.keys(signed), ['expiry', 'signingScheme', 'signingTime']);
  assert.equal(signed.signingScheme, 'notary.x509');
  assert.match(signed.signingTime as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(Date.parse(signed.expiry as string) - Date.parse(signed.signingTime as string), 24 * 3600 * 1000);
  assert.deepEqual(s.userDefinedAttributes, { build: '42' });
  assert.deepEqual(s.unsignedAttributes, { signingAgent: 'vouch' });
  const certs = s.certificates as { SHA256Fingerprint: string; issuedTo: string; issuedBy: string; expiry: string }[];
  assert.equal(certs.length, 2);
  assert.equal(certs[0]?.issuedTo, 'CN=signer,O=Vouch Test,L=Seattle,ST=WA,C=US');
  assert.equal(certs[0]?.issuedBy, 'CN=Test Root,O=Vouch Test,ST=WA,C=US');
  assert.equal(certs[1]?.issuedTo, certs[1]?.issuedBy);
  assert.deepEqual(s.signedArtifact, { mediaType: OCI_MANIFEST, digest: img.digest, size: img.size });
  const text = await vouch(['inspect', '--oci-layout', ref(img)]);
  assert.equal(text.code, 0, show(text));
  const lines = text.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 4), ['Inspecting all signatures for signed artifact', ref(img), `└── ${SIG}`, `    └── ${s.digest as string}`]);
  assert.ok(lines.includes('        ├── signature algorithm: ECDSA-SHA-256'));
  assert.ok(lines.includes('        │   ├── signingScheme: notary.x509'));
  assert.ok(lines.includes('        │   └── build: 42'));
  assert.ok(lines.some((l) => /^ {8}│ {3}└── signingAgent: vouch$/.test(l)));
  assert.ok(lines.some((l) => /^ {8}│ {3}│ {3}├── issued to: CN=signer,O=Vouch Test,L=Seattle,ST=WA,C=US$/.test(l)));
  assert.ok(lines.some((l) => /^ {8}│ {3}│ {3}└── expiry: (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d \d{4}$/.test(l)));
  assert.deepEqual(lines.slice(-5), ['        └── signed artifact', `            ├── media type: ${OCI_MANIFEST}`, `            ├── digest: ${img.digest}`, `            └── size: ${img.size}`, '']);
  const usage = await vouch(['inspect', '--oci-layout', '-o', 'yaml', ref(img)]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unrecognized output format yaml/);
});

test('inspect shows a signature whose JWS signature does not verify, and lists one it cannot read with the reason (exit 1)', async () => {
  const img = await image();
  await sign(img);
  const { envelope, annotations } = await envelopeOf(img);
  const jws = JSON.parse(envelope.toString()) as { signature: string };
  jws.signature = Buffer.alloc(64, 1).toString('base64url');
  const forged = Buffer.from(JSON.stringify(jws));
  const empty = Buffer.from('{}');
  const sigManifest = (layer: Buffer): unknown => ({
    schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: SIG, digest: digestOf(empty), size: 2 },
    layers: [{ mediaType: 'application/jose+json', digest: digestOf(layer), size: layer.length }],
    subject: { mediaType: OCI_MANIFEST, digest: img.digest, size: img.size }, annotations,
  });
  const forgedDigest = await attach(img, sigManifest(forged), OCI_MANIFEST, [empty, forged]);
  const garbage = Buffer.from('{"payload": 1}');
  const garbageDigest = await attach(img, sigManifest(garbage), OCI_MANIFEST, [empty, garbage]);
  const r = await vouch(['inspect', '--oci-layout', '-o', 'json', ref(img)]);
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, new RegExp(`Warning: Skipping signature ${garbageDigest} because of error: `));
  assert.match(r.stderr, /at least one signature was skipped: 1 of 3 cannot be read by vouch/);
  const out = JSON.parse(r.stdout) as { Signatures: { digest: string }[]; unreadableSignatures: { digest: string; error: string }[] };
  assert.deepEqual(out.Signatures.map((s) => s.digest).slice(1), [forgedDigest], 'the forged one is shown: inspect does not verify');
  assert.equal(out.unreadableSignatures[0]?.digest, garbageDigest);
  const text = await vouch(['inspect', '--oci-layout', ref(img)]);
  assert.equal(text.code, 1);
  assert.match(text.stdout, new RegExp(`└── ${garbageDigest}\n {8}├── media type: application/jose\\+json\n {8}└── error: `));
  // and verify does not accept the forged one
  const v = await vouch(['verify', '--oci-layout', '--scope', 'local/app', '-o', 'json', ref(img)]);
  assert.equal(v.code, 0, 'the genuine signature verifies');
});

test('an OCI 1.1-rc artifact manifest signature (application/vnd.oci.artifact.manifest.v1+json) is listed, inspected and verified', async () => {
  const img = await image();
  await sign(img);
  const { envelope, annotations } = await envelopeOf(img);
  // only the image itself stays in index.json: the artifact manifest below is the one signature
  const dropSignatures = async (): Promise<void> => {
    await writeFile(join(img.layout, 'index.json'), JSON.stringify({ ...(await readIndex(img)), manifests: (await readIndex(img)).manifests.slice(0, 1) }));
  };
  await dropSignatures();
  assert.match((await vouch(['ls', '--oci-layout', ref(img)])).stdout, /has no associated signature/);
  const artifact = {
    mediaType: ARTIFACT_MANIFEST, artifactType: SIG,
    blobs: [{ mediaType: 'application/jose+json', digest: digestOf(envelope), size: envelope.length }],
    subject: { mediaType: OCI_MANIFEST, digest: img.digest, size: img.size }, annotations,
  };
  const digest = await attach(img, artifact, ARTIFACT_MANIFEST, [envelope]);
  const ls = await vouch(['ls', '--oci-layout', ref(img)]);
  assert.equal(ls.stdout, `${ref(img)}\n└── ${SIG}\n    └── ${digest}\n`);
  const r = await vouch(['inspect', '--oci-layout', '-o', 'json', ref(img)]);
  assert.equal(r.code, 0, show(r));
  assert.equal((JSON.parse(r.stdout) as { Signatures: { digest: string }[] }).Signatures[0]?.digest, digest);
  const v = await vouch(['verify', '--oci-layout', '--scope', 'local/app', ref(img)]);
  assert.equal(v.code, 0, show(v));
  // two blobs: refused as notation-go refuses it
  await dropSignatures();
  await attach(img, { ...artifact, blobs: [...artifact.blobs, ...artifact.blobs] }, ARTIFACT_MANIFEST, [envelope]);
  const two = await vouch(['verify', '--oci-layout', '--scope', 'local/app', '-o', 'json', ref(img)]);
  assert.equal(two.code, 1);
  assert.match(two.stdout, /requires exactly one signature envelope blob, got 2/);
});

/** An RFC 3161 token over `data` from a TSA made with openssl (`openssl ts -reply -token_out`). */
async function timestampToken(data: Buffer): Promise<Buffer> {
  const d = join(dir, `tsa${++n}`);
  await mkdir(d);
  const run = (args: string[]): void => { execFileSync('openssl', args, { cwd: d, stdio: 'pipe' }); };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tsa.key', '-out', 'tsa.crt', '-subj', '/C=US/O=TSA/CN=Test TSA', '-days', '10',
    '-addext', 'extendedKeyUsage=critical,timeStamping', '-addext', 'keyUsage=critical,digitalSignature']);
  await writeFile(join(d, 'ts.cnf'), '[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = ./serial\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\ness_cert_id_alg = sha256\n');
  await writeFile(join(d, 'serial'), '01\n');
  await writeFile(join(d, 'data'), data);
  run(['ts', '-query', '-data', 'data', '-sha256', '-cert', '-out', 'q.tsq']);
  run(['ts', '-reply', '-config', 'ts.cnf', '-queryfile', 'q.tsq', '-signer', 'tsa.crt', '-inkey', 'tsa.key', '-token_out', '-out', 'token.der']);
  return readFile(join(d, 'token.der'));
}

test('inspect shows a timestamp countersignature: its time and certificates when it covers the signature, why not otherwise', async () => {
  const img = await image();
  await sign(img);
  const { envelope, annotations } = await envelopeOf(img);
  const jws = JSON.parse(envelope.toString()) as { signature: string; header: Record<string, unknown> };
  const stamped = async (token: Buffer): Promise<string> => {
    const e = Buffer.from(JSON.stringify({ ...jws, header: { ...jws.header, 'io.cncf.notary.timestampSignature': token.toString('base64') } }));
    const empty = Buffer.from('{}');
    return attach(img, {
      schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: SIG, digest: digestOf(empty), size: 2 },
      layers: [{ mediaType: 'application/jose+json', digest: digestOf(e), size: e.length }],
      subject: { mediaType: OCI_MANIFEST, digest: img.digest, size: img.size }, annotations,
    }, OCI_MANIFEST, [empty, e]);
  };
  const good = await stamped(await timestampToken(Buffer.from(jws.signature, 'base64url')));
  const other = await stamped(await timestampToken(Buffer.from('something else')));
  const r = await vouch(['inspect', '--oci-layout', '-o', 'json', ref(img)]);
  assert.equal(r.code, 0, show(r));
  const sigs = (JSON.parse(r.stdout) as { Signatures: { digest: string; unsignedAttributes: { timestampSignature?: { timestamp?: string; error?: string; certificates?: { issuedTo: string }[] } } }[] }).Signatures;
  const ts = sigs.find((x) => x.digest === good)?.unsignedAttributes.timestampSignature;
  assert.match(ts?.timestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(ts?.certificates?.map((c) => c.issuedTo), ['CN=Test TSA,O=TSA,C=US']);
  assert.deepEqual(sigs.find((x) => x.digest === other)?.unsignedAttributes.timestampSignature, { error: 'failed to parse timestamp countersignature: mismatched message' });
  const text = await vouch(['inspect', '--oci-layout', ref(img)]);
  assert.match(text.stdout, /│ {3}└── timestamp signature\n[│ ]+├── timestamp: [A-Z][a-z]{2} [A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d \d{4}\n[│ ]+└── certificates\n[│ ]+└── SHA256 fingerprint: [0-9a-f]{64}\n/);
  assert.match(text.stdout, /└── timestamp signature\n[│ ]+└── error: failed to parse timestamp countersignature: mismatched message\n/);
});

test('from a registry: an artifact manifest listed by the referrers API is fetched as that type and inspected', async () => {
  const img = await image();
  await sign(img);
  const { envelope, annotations } = await envelopeOf(img);
  const subjectBytes = await readFile(blobPath(img.layout, img.digest));
  const artifact = Buffer.from(JSON.stringify({
    mediaType: ARTIFACT_MANIFEST, artifactType: SIG,
    blobs: [{ mediaType: 'application/jose+json', digest: digestOf(envelope), size: envelope.length }],
    subject: { mediaType: OCI_MANIFEST, digest: img.digest, size: img.size }, annotations,
  }));
  const accepts: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    const send = (type: string, body: Buffer): void => { res.writeHead(200, { 'content-type': type, 'content-length': body.length }); res.end(body); };
    if (url === '/v2/') return send('application/json', Buffer.from('{}'));
    if (url.startsWith(`/v2/app/referrers/${img.digest}`)) {
      return send('application/vnd.oci.image.index.v1+json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: ARTIFACT_MANIFEST, digest: digestOf(artifact), size: artifact.length, artifactType: SIG }] })));
    }
    if (url === `/v2/app/manifests/${img.digest}`) return send(OCI_MANIFEST, subjectBytes);
    if (url === `/v2/app/manifests/${digestOf(artifact)}`) { accepts.push(String(req.headers.accept)); return send(ARTIFACT_MANIFEST, artifact); }
    if (url === `/v2/app/blobs/${digestOf(envelope)}`) return send('application/octet-stream', envelope);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = await vouch(['inspect', '--plain-http', '-o', 'json', `${host}/app@${img.digest}`]);
    assert.equal(r.code, 0, show(r));
    const out = JSON.parse(r.stdout) as { Signatures: { digest: string; signedArtifact: { digest: string } }[] };
    assert.equal(out.Signatures[0]?.digest, digestOf(artifact));
    assert.equal(out.Signatures[0]?.signedArtifact.digest, img.digest);
    assert.deepEqual(accepts, [ARTIFACT_MANIFEST]);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

/** A DER Name from [[oid, asn1 value]] RDNs. */
function name(rdns: [string, asn1js.BaseBlock][][]): ArrayBuffer {
  return new asn1js.Sequence({ value: rdns.map((rdn) => new asn1js.Set({ value: rdn.map(([oid, value]) => new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), value] })) })) }).toBER();
}
const utf8 = (v: string): asn1js.BaseBlock => new asn1js.Utf8String({ value: v });

test("Go's pkix.Name.String(): known types grouped in Go's order and reversed, escaping, others as OID=#hex in reverse order", () => {
  assert.equal(goDistinguishedName(name([[['2.5.4.6', utf8('US')]], [['2.5.4.10', utf8('Acme, Inc.')]], [['2.5.4.3', utf8(' #lead ')]], [['2.5.4.8', utf8('#WA')]]])),
    'CN=\\ #lead\\ ,O=Acme\\, Inc.,ST=\\#WA,C=US');
  assert.equal(goDistinguishedName(name([[['2.5.4.11', utf8('a')], ['2.5.4.11', utf8('b+c')]], [['2.5.4.3', utf8('first')]], [['2.5.4.3', utf8('last')]]])),
    'CN=last,OU=a+OU=b\\+c', 'a repeated CN keeps the last value; OUs form one multi-valued RDN');
  assert.equal(goDistinguishedName(name([[['1.2.840.113549.1.9.1', new asn1js.IA5String({ value: 'a@b.c' })]], [['2.5.4.3', utf8('x')]], [['0.9.2342.19200300.100.1.25', new asn1js.IA5String({ value: 'com' })]]])),
    'CN=x,0.9.2342.19200300.100.1.25=#1303636f6d,1.2.840.113549.1.9.1=#0c056140622e63', 'as Go re-encodes the values: PrintableString, else UTF8String');
});

test("Go's time.RFC3339 and time.ANSIC in the offset the time was written with", () => {
  const date = new Date('2026-03-05T08:04:05Z');
  assert.equal(goRfc3339({ date, offsetMinutes: 0 }), '2026-03-05T08:04:05Z');
  assert.equal(goRfc3339({ date, offsetMinutes: -480 }), '2026-03-05T00:04:05-08:00');
  assert.equal(goRfc3339({ date, offsetMinutes: 330 }), '2026-03-05T13:34:05+05:30');
  assert.equal(goAnsic({ date, offsetMinutes: 0 }), 'Thu Mar  5 08:04:05 2026');
  assert.equal(goAnsic({ date, offsetMinutes: -480 }), 'Thu Mar  5 00:04:05 2026');
});

test('inspect shows COSE signatures as JWS ones: the same attributes, certificates and artifact', async () => {
  const img = await image();
  await sign(img, ['-m', 'build=42']);
  await sign(img, ['-m', 'build=42', '--signature-format', 'cose']);
  const r = await vouch(['inspect', '--oci-layout', '-o', 'json', ref(img)]);
  assert.equal(r.code, 0, show(r));
  type Shown = { mediaType: string; signatureAlgorithm: string; signedAttributes: Record<string, string>; userDefinedAttributes?: Record<string, string>; certificates: unknown[]; signedArtifact: unknown };
  const out = JSON.parse(r.stdout) as { Signatures: Shown[] };
  const jws = out.Signatures.find((s) => s.mediaType === 'application/jose+json');
  const cose = out.Signatures.find((s) => s.mediaType === 'application/cose');
  assert.ok(jws && cose, r.stdout);
  assert.equal(cose.signatureAlgorithm, 'ECDSA-SHA-256');
  assert.deepEqual(cose.userDefinedAttributes, { build: '42' });
  assert.equal(cose.signedAttributes['signingScheme'], 'notary.x509');
  assert.deepEqual(cose.certificates, jws.certificates);
  assert.deepEqual(cose.signedArtifact, jws.signedArtifact);
});
