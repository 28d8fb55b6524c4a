// vouch's Notation signatures against the real `notation` v1.3.2 (built from the Go module proxy
// by scripts/install-go-peers.sh), both directions, JWS, in three places:
//  - an OCI image layout (offline, --oci-layout);
//  - the real docker-registry (no referrers API: both tools fall back to the sha256-<hex> tag);
//  - `vouch registry` (referrers API).
// `notation sign` → `vouch notation verify`, `vouch notation sign` → `notation verify` (RSA and
// ECDSA keys), and six attacks each refused by both tools with the failing check named: a trust
// store without the signer's root, an identity the policy does not trust, an expired signature, a
// certificate expired since signing, a tampered envelope, a signature made for another digest.
// A missing binary is a failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decode, encode, Tag } from 'cbor2';
import { digestOf } from '../../src/core/index.js';
import { RegistryClient, referrersTag } from '../../src/oci/client.js';
import { pushImage } from '../../src/oci/copy.js';
import { OciLayout, blobPath } from '../../src/oci/layout.js';
import { runRegistry, type RunningRegistry } from '../../src/registry/index.js';
import { signJws } from '../../src/sig/index.js';
import { runCli, type CliResult } from '../support/cli.js';
import { buildImageLayout } from '../support/image.js';
import {
  globalPolicy, issueSigningLeaf, makeNotationHome, makeRootCa, notationBinary, runNotation, type KeyKind, type SigningIdentity,
} from '../support/notation.js';
import { startPeers, type Peers, type RunResult } from '../support/peers.js';
import { LEAF_SUBJECT, ROOT_SUBJECT, caExtensions, leafExtensions, makeCert, testKey, type Chain } from '../support/x509.js';

const NOTATION_SIGNATURE = 'application/vnd.cncf.notary.signature';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const EMPTY = Buffer.from('{}');

const scratch: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
}

interface Image { digest: string; size: number; mediaType: string }

/** Where the artifact lives, and how each tool names it there. */
interface Place {
  name: string;
  /** a fresh, unsigned image */
  image(name: string, content?: string): Promise<Image>;
  /** the arguments naming `img` for `vouch notation …` */
  vouchArgs(img: Image): string[];
  /** the arguments naming `img` for `notation …` */
  notationArgs(img: Image): string[];
  /** attaches a signature manifest (notation v1.x's form) holding `envelope` (JWS unless `mediaType` says) to `img` */
  attach(img: Image, envelope: Buffer, mediaType?: string): Promise<void>;
  /** checks how vouch stored its signature of `img` (the referrers API, or the sha256-<hex> tag index) */
  checkStored?(img: Image): Promise<void>;
}

/** Signing takes no --scope (that names a trust policy statement). */
const forSign = (args: string[]): string[] => args.filter((a, i) => a !== '--scope' && args[i - 1] !== '--scope');

let pki: string;
let rsa: SigningIdentity;
let ec: SigningIdentity;
/** one signing identity per key notation signs with, all in notation's signingkeys.json under their kind */
const byKind = new Map<KeyKind, SigningIdentity>();
const KINDS: KeyKind[] = ['rsa-2048', 'rsa-3072', 'rsa-4096', 'ec-256', 'ec-384', 'ec-521'];
let env: Record<string, string>;
let wrongStoreEnv: Record<string, string>;
let wrongIdentityEnv: Record<string, string>;
let permissiveEnv: Record<string, string>;
let auditOtherStoreEnv: Record<string, string>;
/** a chain whose leaf expired on 2025-06-01, and a home trusting its root */
let expiredChain: Chain;
let expiredCertEnv: Record<string, string>;
const IDENTITY = 'x509.subject: C=US, ST=WA, O=Vouch Test';

async function vouch(e: Record<string, string>, args: string[]): Promise<CliResult> {
  return runCli(args, e);
}

interface VerifyJson {
  verified: boolean;
  signatures: { digest: string; verdict?: { failure?: { check: string; message?: string } }; error?: { message: string } }[];
}

async function vouchVerify(e: Record<string, string>, place: Place, img: Image): Promise<{ r: CliResult; json: VerifyJson }> {
  const r = await vouch(e, ['notation', 'verify', ...place.vouchArgs(img), '-o', 'json']);
  return { r, json: JSON.parse(r.stdout) as VerifyJson };
}

async function notationVerify(e: Record<string, string>, place: Place, img: Image): Promise<RunResult> {
  return runNotation(e, ['verify', '-v', ...place.notationArgs(img)]);
}

const show = (r: { code: number; stdout: string; stderr: string }): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const JWS = 'application/jose+json';
const COSE = 'application/cose';

/** SHA-256 of each certificate in the envelope's chain (JWS x5c, COSE x5chain), as the annotation lists them. */
function thumbprints(envelope: Buffer, mediaType: string): string[] {
  const ders = mediaType === COSE
    ? ((decode(new Uint8Array(envelope), { ignoreGlobalTags: true, preferMap: true }) as Tag).contents as [unknown, Map<number, Uint8Array[]>])[1].get(33) ?? []
    : (JSON.parse(envelope.toString()) as { header: { x5c: string[] } }).header.x5c.map((c) => Buffer.from(c, 'base64'));
  return ders.map((c) => digestOf(c).slice('sha256:'.length));
}

/** A signature manifest as notation v1.3 writes it, around `envelope`, for `subject`. */
function signatureManifest(subject: Image, envelope: Buffer, mediaType: string): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: NOTATION_SIGNATURE, digest: digestOf(EMPTY), size: 2 },
    layers: [{ mediaType, digest: digestOf(envelope), size: envelope.length }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify(thumbprints(envelope, mediaType)), 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
  }));
}

/** The envelopes of the signatures listed in a layout's index.json for `img`. */
async function layoutEnvelopes(layout: string, img: Image): Promise<Buffer[]> {
  const l = await OciLayout.open(layout);
  const out: Buffer[] = [];
  for (const d of l.manifests) {
    const m = JSON.parse((await readFile(blobPath(layout, d.digest))).toString()) as { subject?: { digest: string }; layers?: { digest: string }[] };
    if (m.subject?.digest === img.digest && m.layers?.[0]) out.push(await readFile(blobPath(layout, m.layers[0].digest)));
  }
  return out;
}

/** A valid vouch-made envelope for the image `name`/`content` (same bytes, same digest), signed in a scratch layout. */
async function envelopeFor(name: string, content: string, args: string[] = []): Promise<Buffer> {
  const img = await buildImageLayout(await tempDir('vouch-nscratch-'), name, 'v1', content);
  const r = await vouch(env, ['notation', 'sign', '--oci-layout', `${img.layout}@${img.digest}`, '--key', rsa.key, '--cert', rsa.chain, ...args]);
  assert.equal(r.code, 0, show(r));
  const [e] = await layoutEnvelopes(img.layout, img);
  assert.ok(e);
  return e;
}

function layoutPlace(): Place {
  const layouts = new Map<string, string>();
  return {
    name: 'OCI layout',
    async image(name, content = `notation interop ${name}`) {
      const img = await buildImageLayout(await tempDir('vouch-nlayout-'), name, 'v1', content);
      layouts.set(img.digest, img.layout);
      return { digest: img.digest, size: img.size, mediaType: img.mediaType };
    },
    vouchArgs: (img) => ['--oci-layout', `${layouts.get(img.digest) as string}@${img.digest}`, '--scope', 'local/app'],
    notationArgs: (img) => ['--oci-layout', `${layouts.get(img.digest) as string}@${img.digest}`, '--scope', 'local/app'],
    async attach(img, envelope, mediaType = JWS) {
      const layout = layouts.get(img.digest) as string;
      const manifest = signatureManifest(img, envelope, mediaType);
      for (const b of [EMPTY, envelope, manifest]) await writeFile(blobPath(layout, digestOf(b)), b);
      const index = JSON.parse((await readFile(join(layout, 'index.json'))).toString()) as { manifests: unknown[] };
      index.manifests.push({ mediaType: OCI_MANIFEST, digest: digestOf(manifest), size: manifest.length });
      await writeFile(join(layout, 'index.json'), JSON.stringify(index));
    },
  };
}

function registryPlace(name: string, host: () => string, fallback: boolean): Place {
  let n = 0;
  const repos = new Map<string, string>();
  const client = (): RegistryClient => new RegistryClient({ registry: host(), scheme: 'http' });
  return {
    name,
    async image(imgName, content = `notation interop ${imgName}`) {
      const repo = `notation/${imgName}-${++n}`;
      const img = await buildImageLayout(await tempDir('vouch-nreg-'), repo, 'v1', content);
      const c = client();
      try {
        const layout = await OciLayout.open(img.layout);
        await pushImage(c, repo, layout, layout.resolve('v1'), { tag: 'v1' });
      } finally { await c.close(); }
      repos.set(img.digest, repo);
      return { digest: img.digest, size: img.size, mediaType: img.mediaType };
    },
    vouchArgs: (img) => [`${host()}/${repos.get(img.digest) as string}@${img.digest}`, '--plain-http'],
    notationArgs: (img) => [`${host()}/${repos.get(img.digest) as string}@${img.digest}`, '--insecure-registry'],
    async attach(img, envelope, mediaType = JWS) {
      const repo = repos.get(img.digest) as string;
      const c = client();
      try {
        await c.pushBlob(repo, { digest: digestOf(EMPTY), size: 2 }, EMPTY);
        await c.pushBlob(repo, { digest: digestOf(envelope), size: envelope.length }, envelope);
        await c.pushReferrer(repo, signatureManifest(img, envelope, mediaType), OCI_MANIFEST);
      } finally { await c.close(); }
    },
    async checkStored(img) {
      const repo = repos.get(img.digest) as string;
      const c = client();
      try {
        const listed = await c.listReferrers(repo, img.digest, { artifactType: NOTATION_SIGNATURE });
        assert.equal(listed.length, 1);
        // Without the referrers API the signature is recorded under the sha256-<hex> tag; with it, not.
        const tagged = await c.headManifest(repo, referrersTag(img.digest));
        assert.equal(tagged !== undefined, fallback, `referrers tag ${fallback ? 'missing' : 'written although the registry has the referrers API'}`);
        const sig = await c.getManifest(repo, listed[0]?.digest as string);
        assert.equal(sig.manifest.artifactType, NOTATION_SIGNATURE, 'vouch writes the OCI 1.1 form to registries');
      } finally { await c.close(); }
    },
  };
}

let peers: Peers | undefined;
let reg: RunningRegistry | undefined;

before(async () => {
  await notationBinary();
  pki = await tempDir('vouch-npki-');
  await makeRootCa(pki, 'root', '/C=US/ST=WA/O=Vouch Test/CN=Vouch Test Root');
  await makeRootCa(pki, 'other', '/C=US/ST=WA/O=Other/CN=Other Root');
  rsa = await issueSigningLeaf(pki, 'root', 'rsa', 'rsa-2048', '/C=US/ST=WA/L=Seattle/O=Vouch Test/CN=rsa signer');
  ec = await issueSigningLeaf(pki, 'root', 'ec', 'ec-384', '/C=US/ST=WA/O=Vouch Test/CN=ec signer');
  byKind.set('rsa-2048', rsa);
  byKind.set('ec-384', ec);
  for (const kind of KINDS.filter((k) => !byKind.has(k))) byKind.set(kind, await issueSigningLeaf(pki, 'root', kind, kind, `/C=US/ST=WA/O=Vouch Test/CN=${kind} signer`));
  env = await makeNotationHome(await tempDir('vouch-nhome-'), {
    trustStores: { test: [join(pki, 'root.crt')] },
    policy: globalPolicy('strict', ['ca:test'], [IDENTITY]),
    signingKeys: { rsa, ...Object.fromEntries(KINDS.map((k) => [k, byKind.get(k) as SigningIdentity])) },
  });
  wrongStoreEnv = await makeNotationHome(await tempDir('vouch-nhome-'), { trustStores: { test: [join(pki, 'other.crt')] }, policy: globalPolicy('strict', ['ca:test'], [IDENTITY]) });
  wrongIdentityEnv = await makeNotationHome(await tempDir('vouch-nhome-'), {
    trustStores: { test: [join(pki, 'root.crt')] },
    policy: globalPolicy('strict', ['ca:test'], ['x509.subject: C=US, ST=WA, O=Somebody Else']),
  });
  permissiveEnv = await makeNotationHome(await tempDir('vouch-nhome-'), { trustStores: { test: [join(pki, 'root.crt')] }, policy: globalPolicy('permissive', ['ca:test'], [IDENTITY]) });
  auditOtherStoreEnv = await makeNotationHome(await tempDir('vouch-nhome-'), { trustStores: { test: [join(pki, 'other.crt')] }, policy: globalPolicy('audit', ['ca:test'], [IDENTITY]) });
  const rootKey = await testKey('rsa-2048');
  const root = await makeCert({ subject: ROOT_SUBJECT, key: rootKey, notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2035-01-01T00:00:00Z'), extensions: caExtensions });
  const leafKey = await testKey('ec-256');
  const leaf = await makeCert({ subject: LEAF_SUBJECT, key: leafKey, issuer: { cert: root, key: rootKey }, notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2025-06-01T00:00:00Z'), extensions: leafExtensions });
  expiredChain = { root, leaf, key: leafKey, ders: [Buffer.from(leaf.rawData), Buffer.from(root.rawData)] };
  await writeFile(join(pki, 'expired-root.crt'), root.toString('pem'));
  expiredCertEnv = await makeNotationHome(await tempDir('vouch-nhome-'), { trustStores: { test: [join(pki, 'expired-root.crt')] }, policy: globalPolicy('strict', ['ca:test'], ['*']) });
  peers = await startPeers({ registry: true });
  reg = await runRegistry({ addr: '127.0.0.1:0', root: await tempDir('vouch-nreg-root-') });
});

after(async () => {
  await reg?.close();
  await peers?.stop();
  for (const d of scratch) await rm(d, { recursive: true, force: true });
});

const places: (() => Place)[] = [
  layoutPlace,
  () => registryPlace('docker-registry (tag fallback)', () => peers?.registryHost as string, true),
  () => registryPlace('vouch registry (referrers API)', () => reg?.host as string, false),
];

for (const makePlace of places) {
  const place = makePlace();
  describe(`notation interop: ${place.name}`, () => {
    test('notation sign → vouch notation verify', async () => {
      const img = await place.image('n2v');
      const signed = await runNotation(env, ['sign', '--key', 'rsa', '-m', 'build=42', ...forSign(place.notationArgs(img))]);
      assert.equal(signed.code, 0, show(signed));
      const r = await vouch(env, ['notation', 'verify', ...place.vouchArgs(img), '-m', 'build=42']);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /^Successfully verified signature for .*@sha256:[0-9a-f]{64}\n/);
      assert.match(r.stdout, /build\s+42/);
      // the metadata check runs: a value the signature does not carry is refused
      const wrong = await vouch(env, ['notation', 'verify', ...place.vouchArgs(img), '-m', 'build=43']);
      assert.equal(wrong.code, 1, show(wrong));
      assert.match(wrong.stderr, /userMetadata failed: unable to find specified metadata/);
    });

    for (const [label, id] of [['RSA 2048', () => rsa], ['ECDSA P-384', () => ec]] as const) {
      test(`vouch notation sign (${label}) → notation verify`, async () => {
        const img = await place.image(`v2n-${label.split(' ')[0]?.toLowerCase()}`);
        const signed = await vouch(env, ['notation', 'sign', ...forSign(place.vouchArgs(img)), '--key', id().key, '--cert', id().chain, '-m', 'team=vouch']);
        assert.equal(signed.code, 0, show(signed));
        await place.checkStored?.(img);
        assert.match(signed.stdout, /^Successfully signed .*@sha256:[0-9a-f]{64}\n$/);
        const r = await runNotation(env, ['verify', ...place.notationArgs(img), '-m', 'team=vouch']);
        assert.equal(r.code, 0, show(r));
        assert.match(r.stdout, /Successfully verified signature for/);
        // and vouch reads its own signature back
        const mine = await vouch(env, ['notation', 'verify', ...place.vouchArgs(img)]);
        assert.equal(mine.code, 0, show(mine));
      });
    }

    for (const kind of KINDS) {
      test(`COSE (${kind}): notation sign --signature-format cose → vouch notation verify; vouch notation sign --signature-format cose → notation verify`, async () => {
        const theirs = await place.image(`cose-n2v-${kind}`);
        const signed = await runNotation(env, ['sign', '--signature-format', 'cose', '--key', kind, '-m', 'build=7', ...forSign(place.notationArgs(theirs))]);
        assert.equal(signed.code, 0, show(signed));
        const r = await vouch(env, ['notation', 'verify', ...place.vouchArgs(theirs), '-m', 'build=7']);
        assert.equal(r.code, 0, show(r));
        assert.match(r.stdout, /^Successfully verified signature for .*@sha256:[0-9a-f]{64}\n/);
        const mine = await place.image(`cose-v2n-${kind}`);
        const id = byKind.get(kind) as SigningIdentity;
        const made = await vouch(env, ['notation', 'sign', '--signature-format', 'cose', ...forSign(place.vouchArgs(mine)), '--key', id.key, '--cert', id.chain, '-m', 'team=vouch']);
        assert.equal(made.code, 0, show(made));
        const n = await runNotation(env, ['verify', ...place.notationArgs(mine), '-m', 'team=vouch']);
        assert.equal(n.code, 0, show(n));
        assert.match(n.stdout, /Successfully verified signature for/);
      });
    }

    test("vouch notation sign --key NAME (notation's signingkeys.json) → notation verify", async () => {
      const img = await place.image('keystore');
      const signed = await vouch(env, ['notation', 'sign', ...forSign(place.vouchArgs(img)), '--key', 'rsa']);
      assert.equal(signed.code, 0, show(signed));
      const r = await runNotation(env, ['verify', ...place.notationArgs(img)]);
      assert.equal(r.code, 0, show(r));
    });

    const refusedByBoth = async (img: Image, e: Record<string, string>, check: string, vouchMessage: RegExp, notationMessage: RegExp): Promise<void> => {
      const { r, json } = await vouchVerify(e, place, img);
      assert.equal(r.code, 1, show(r));
      assert.equal(json.verified, false);
      const failure = json.signatures[0]?.verdict?.failure;
      assert.equal(failure?.check, check, show(r));
      assert.match(failure?.message ?? '', vouchMessage);
      const n = await notationVerify(e, place, img);
      assert.equal(n.code, 1, show(n));
      assert.match(n.stderr, notationMessage, show(n));
    };

    const vouchSigned = async (name: string, args: string[] = []): Promise<Image> => {
      const img = await place.image(name);
      const signed = await vouch(env, ['notation', 'sign', ...forSign(place.vouchArgs(img)), '--key', rsa.key, '--cert', rsa.chain, ...args]);
      assert.equal(signed.code, 0, show(signed));
      return img;
    };

    test('refused by both: a trust store without the signer\'s root (authenticity)', async () => {
      const img = await vouchSigned('wrongstore');
      await refusedByBoth(img, wrongStoreEnv, 'authenticity', /does not contain any trusted certificate/, /authenticity validation failed.*does not contain any trusted certificate/);
    });

    test('refused by both: an identity the policy does not trust (authenticity)', async () => {
      const img = await vouchSigned('wrongid');
      await refusedByBoth(img, wrongIdentityEnv, 'authenticity', /does not match the X\.509 trusted identities/, /authenticity validation failed.*does not match the X\.509 trusted identities/);
    });

    test('refused by both: an expired signature (expiry)', async () => {
      const img = await vouchSigned('expired', ['--expiry', '1s']);
      await sleep(2100); // until the signature has expired (no assertion on timing)
      await refusedByBoth(img, env, 'expiry', /digital signature has expired/, /expiry validation failed.*digital signature has expired/);
    });

    test('refused by both: a signature whose certificate has expired since (authentic timestamp)', async () => {
      const img = await place.image('expiredcert');
      // Made while the certificate was valid (neither tool signs with an expired one today).
      const signed = await signJws({ target: img, privateKey: expiredChain.key.privateKey, chain: expiredChain.ders, signingTime: new Date('2025-03-01T00:00:00Z') });
      await place.attach(img, signed.envelope);
      await refusedByBoth(img, expiredCertEnv, 'authenticTimestamp', /verification time is after certificate .* validity period/, /authenticTimestamp validation failed.*verification time is after certificate .* validity period/);
    });

    test('the same policy levels give the same verdicts: permissive logs expiry, audit logs authenticity', async () => {
      const img = await vouchSigned('levels', ['--expiry', '1s']);
      await sleep(2100); // until the signature has expired (no assertion on timing)
      for (const [e, check] of [[permissiveEnv, 'expiry'], [auditOtherStoreEnv, 'authenticity']] as const) {
        const mine = await vouch(e, ['notation', 'verify', ...place.vouchArgs(img)]);
        assert.equal(mine.code, 0, show(mine));
        assert.match(mine.stderr, new RegExp(`Warning: ${check} was set to "log" and failed with error`));
        const theirs = await runNotation(e, ['verify', ...place.notationArgs(img)]);
        assert.equal(theirs.code, 0, show(theirs));
        assert.match(theirs.stderr, new RegExp(`Warning: ${check} was set to "log" and failed with error`));
      }
    });

    test('refused by both: a tampered envelope (integrity)', async () => {
      const content = 'tamper target';
      const img = await place.image('tamper', content);
      const good = await envelopeFor('tamper', content);
      const jws = JSON.parse(good.toString()) as { payload: string };
      const payload = JSON.parse(Buffer.from(jws.payload, 'base64url').toString()) as { targetArtifact: { annotations?: Record<string, string> } };
      payload.targetArtifact.annotations = { injected: 'yes' };
      jws.payload = Buffer.from(JSON.stringify(payload)).toString('base64url');
      await place.attach(img, Buffer.from(JSON.stringify(jws)));
      await refusedByBoth(img, env, 'integrity', /signature is invalid/, /integrity validation failed.*signature is invalid/);
    });

    test('refused by both: a tampered COSE envelope (integrity), and a COSE signature under the wrong trust store (authenticity)', async () => {
      const content = 'cose tamper target';
      const img = await place.image('cose-tamper', content);
      const good = await envelopeFor('cose-tamper', content, ['--signature-format', 'cose']);
      const msg = decode(new Uint8Array(good), { ignoreGlobalTags: true, preferMap: true }) as Tag;
      const [p, u, payload, sig] = msg.contents as [Uint8Array, Map<unknown, unknown>, Uint8Array, Uint8Array];
      const target = JSON.parse(Buffer.from(payload).toString()) as { targetArtifact: { annotations?: Record<string, string> } };
      target.targetArtifact.annotations = { injected: 'yes' };
      const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b);
      const tampered = Buffer.from(encode(new Tag(18, [u8(p), u, u8(Buffer.from(JSON.stringify(target))), u8(sig)])));
      await place.attach(img, tampered, COSE);
      await refusedByBoth(img, env, 'integrity', /signature is invalid/, /integrity validation failed/);
      const other = await place.image('cose-wrongstore');
      const signed = await runNotation(env, ['sign', '--signature-format', 'cose', '--key', 'ec-256', ...forSign(place.notationArgs(other))]);
      assert.equal(signed.code, 0, show(signed));
      await refusedByBoth(other, wrongStoreEnv, 'authenticity', /does not contain any trusted certificate/, /authenticity validation failed.*does not contain any trusted certificate/);
    });

    test('refused by both: a signature made for another digest (target artifact)', async () => {
      const img = await place.image('victim', 'the victim');
      await place.attach(img, await envelopeFor('signed-elsewhere', 'some other image'));
      await refusedByBoth(img, env, 'targetArtifact', /content descriptor mismatch/, /content descriptor mismatch/);
    });
  });
}

describe('notation interop: registry credentials from docker\'s config.json (htpasswd)', () => {
  let authPeers: Peers | undefined;
  let authEnv: Record<string, string>;
  before(async () => {
    authPeers = await startPeers({ registry: { auth: 'htpasswd', user: 'signer', password: 's3cret' } });
    authEnv = { ...env, DOCKER_CONFIG: await tempDir('vouch-ndocker-') };
    await writeFile(join(authEnv.DOCKER_CONFIG as string, 'config.json'), JSON.stringify({ auths: { [authPeers.registryHost as string]: { auth: Buffer.from('signer:s3cret').toString('base64') } } }));
  });
  after(async () => { await authPeers?.stop(); });

  test('both tools sign and verify with the same config.json; without it vouch is refused with a hint', async () => {
    const p = authPeers as Peers;
    const img = await p.makeImage('notation/private', 'v1');
    const ref = `${p.registryHost as string}/notation/private@${img.digest}`;
    const signed = await vouch(authEnv, ['notation', 'sign', ref, '--key', ec.key, '--cert', ec.chain]);
    assert.equal(signed.code, 0, show(signed));
    const n = await runNotation(authEnv, ['verify', '--insecure-registry', ref]);
    assert.equal(n.code, 0, show(n));
    const nsigned = await runNotation(authEnv, ['sign', '--insecure-registry', '--key', 'rsa', ref]);
    assert.equal(nsigned.code, 0, show(nsigned));
    const v = await vouch(authEnv, ['notation', 'verify', ref, '-o', 'json']);
    assert.equal(v.code, 0, show(v));
    assert.equal((JSON.parse(v.stdout) as VerifyJson).signatures.length >= 1, true);
    const anonymous = await vouch({ ...authEnv, DOCKER_CONFIG: await tempDir('vouch-ndocker-empty-') }, ['notation', 'verify', ref]);
    assert.equal(anonymous.code, 1, show(anonymous));
    assert.match(anonymous.stderr, /config\.json \(docker login\)/);
  });
});

describe('notation interop: a Docker schema 2 image (docker-registry)', () => {
  test('the signed descriptor carries the Docker media type; both directions verify', async () => {
    const p = peers as Peers;
    const img = await p.makeImage('notation/dockerv2', 'v1', 'docker schema 2', { format: 'v2s2' });
    assert.equal(img.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    const ref = `${p.registryHost as string}/notation/dockerv2@${img.digest}`;
    const signed = await vouch(env, ['notation', 'sign', ref, '--key', rsa.key, '--cert', rsa.chain]);
    assert.equal(signed.code, 0, show(signed));
    const n = await runNotation(env, ['verify', '--insecure-registry', ref]);
    assert.equal(n.code, 0, show(n));
    const nsigned = await runNotation(env, ['sign', '--insecure-registry', '--key', 'rsa', ref]);
    assert.equal(nsigned.code, 0, show(nsigned));
    const v = await vouch(env, ['notation', 'verify', ref, '-o', 'json']);
    assert.equal(v.code, 0, show(v));
    const r = JSON.parse(v.stdout) as { subject: { mediaType: string } };
    assert.equal(r.subject.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  });
});

describe("notation interop: notation's own test key (cert generate-test)", () => {
  test('notation cert generate-test --default; vouch notation sign with the default key; both verify (a one-certificate self-signed chain)', async () => {
    const home = await makeNotationHome(await tempDir('vouch-nhome-'), { trustStores: {}, policy: globalPolicy('strict', ['ca:wabbit-networks.io'], ['*']) });
    const gen = await runNotation(home, ['cert', 'generate-test', '--default', 'wabbit-networks.io']);
    assert.equal(gen.code, 0, show(gen));
    const place = layoutPlace();
    const img = await place.image('generated');
    const signed = await vouch(home, ['notation', 'sign', ...forSign(place.vouchArgs(img))]);
    assert.equal(signed.code, 0, show(signed));
    const n = await runNotation(home, ['verify', ...place.notationArgs(img)]);
    assert.equal(n.code, 0, show(n));
    const v = await vouch(home, ['notation', 'verify', ...place.vouchArgs(img)]);
    assert.equal(v.code, 0, show(v));
  });
});
