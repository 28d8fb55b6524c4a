// Push = sign + publish, pull = verify + download, against the REAL CNCF registry (Debian's
// docker-registry: plain, htpasswd, token auth) and the REAL notary-server, driven through the
// vouch CLI; the real notary client checks what vouch signed. The tamper scenarios must be refused
// and leave nothing at the destination.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPeers, type Peers } from '../support/peers.js';
import { runCli } from '../support/cli.js';
import { assertNothingWritten, treeSnapshot } from '../support/fstree.js';
import { startTamperingProxy } from '../support/proxy.js';
import { writeDemoImage, type DemoImage } from '../../src/cli/demoimage.js';

const USER = 'testuser';

/** The same metadata file with one character of its first signature changed (same length). */
function flipSignature(body: Buffer): Buffer {
  const text = body.toString('utf8');
  const at = text.indexOf('"sig":"') + '"sig":"'.length;
  assert.ok(at > 6, 'a signature to alter');
  return Buffer.from(text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1));
}
const PASSWORD = 'testpassword';

for (const auth of ['none', 'htpasswd', 'token'] as const) {
  describe(`vouch push/pull with docker-registry (auth ${auth}) and notary-server`, () => {
    let peers: Peers;
    let dir: string;
    let env: Record<string, string>;
    let v1: DemoImage;
    let v2: DemoImage;
    let image: string;

    before(async () => {
      peers = await startPeers({
        registry: { auth, tls: auth === 'token', user: USER, password: PASSWORD },
        notary: { auth: auth === 'token' ? 'token' : 'none' },
      });
      dir = mkdtempSync(join(tmpdir(), `vouch-pushpull-${auth}-`));
      const dockerConfig = join(dir, 'docker');
      // docker reads per-host CAs from tls/<host:port>/; it uses the registry's credentials for the trust server too.
      for (const url of [peers.notaryUrl as string, peers.registryUrl as string]) {
        const host = new URL(url).host;
        mkdirSync(join(dockerConfig, 'tls', host), { recursive: true });
        writeFileSync(join(dockerConfig, 'tls', host, 'ca.crt'), readFileSync(peers.ca));
      }
      if (auth !== 'none') {
        writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [peers.registryHost as string]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
      }
      env = {
        HOME: dir,
        DOCKER_CONFIG: dockerConfig,
        DOCKER_CONTENT_TRUST_SERVER: peers.notaryUrl as string,
        DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'interop-root-passphrase',
        DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'interop-repo-passphrase',
      };
      v1 = await writeDemoImage(join(dir, 'v1'), '1.0', `v1 ${auth}\n`);
      v2 = await writeDemoImage(join(dir, 'v2'), '1.0', `v2 ${auth} unsigned\n`);
      image = peers.gun('demo/app');
    });
    after(() => peers?.stop());

    const vouch = (...args: string[]) => runCli(args, env, dir);

    test('signed push, verified pull; the real notary client lists the signed digest', async () => {
      const p = await vouch('push', `${image}:1.0`, '--from', `oci:${join(dir, 'v1')}`, '--sign');
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, /Successfully signed/);
      const out = join(dir, 'out-ok');
      const r = await vouch('pull', `${image}:1.0`, '--verify', '--to', `oci:${out}`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Pull \\(1 of 1\\): ${image.replace(/[.]/g, '\\.')}:1\\.0@${v1.manifest.digest}`));
      const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      assert.deepEqual(index.manifests.map((m) => m.digest), [v1.manifest.digest]);
      const list = await peers.notary(['list', image], { trustDir: join(dir, 'notary-fresh') });
      assert.equal(list.code, 0, list.stdout + list.stderr);
      assert.match(list.stdout, new RegExp(`1\\.0\\s+${v1.manifest.digest.slice(7)}\\s+${v1.manifest.size}`));
    });

    test('a tag moved to unsigned content is refused and nothing is written', async () => {
      const p = await vouch('push', `${image}:1.0`, '--from', `oci:${join(dir, 'v2')}`, '--disable-content-trust');
      assert.equal(p.code, 0, p.stderr);
      const out = join(dir, 'out-moved');
      const r = await vouch('pull', `${image}:1.0`, '--verify', '--to', `oci:${out}`);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /was moved: the registry has sha256:[0-9a-f]{64}, but the signed digest is/);
      assertNothingWritten(out);
      // Without content trust the tag is pulled as it is now.
      const plain = await vouch('pull', `${image}:1.0`, '--disable-content-trust', '--to', `oci:${join(dir, 'out-plain')}`);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, new RegExp(v2.manifest.digest));
    });

    test('a layer tampered with inside the registry is refused and nothing is written', async () => {
      const back = await vouch('push', `${image}:1.0`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust');
      assert.equal(back.code, 0, back.stderr);
      const hex = v1.layer.digest.slice(7);
      const file = join(peers.dir, 'registry', 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
      const original = readFileSync(file);
      const bad = Buffer.from(original);
      bad[bad.length - 5] = (bad[bad.length - 5] as number) ^ 0xff;
      writeFileSync(file, bad);
      try {
        const out = join(dir, 'out-tampered');
        const r = await vouch('pull', `${image}:1.0`, '--verify', '--to', `oci:${out}`);
        assert.equal(r.code, 1);
        assert.match(r.stderr, new RegExp(`blob ${v1.layer.digest} has digest sha256:[0-9a-f]{64}, expected ${v1.layer.digest}`));
        assertNothingWritten(out);
      } finally {
        writeFileSync(file, original);
      }
    });

    test('a manifest tampered with inside the registry is refused; nothing is written, an existing layout is left as it was', async () => {
      const existing = join(dir, 'out-ok');
      const before = treeSnapshot(existing);
      const hex = v1.manifest.digest.slice(7);
      const file = join(peers.dir, 'registry', 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
      const original = readFileSync(file);
      // Same length, one byte changed: the tag still names the signed digest.
      writeFileSync(file, Buffer.from(original.toString('latin1').replace('"schemaVersion":2', '"schemaVersion":3'), 'latin1'));
      try {
        for (const out of [join(dir, 'out-tampered-manifest'), existing]) {
          const r = await vouch('pull', `${image}:1.0`, '--verify', '--to', `oci:${out}`);
          assert.equal(r.code, 1, r.stdout);
          // docker-registry checks the bytes it stores against their digest itself and answers 500;
          // a registry that did not would hand vouch bytes that fail its own check.
          assert.match(r.stderr, new RegExp(`manifest requested as ${v1.manifest.digest} hashes to sha256:[0-9a-f]{64}|HEAD manifest demo/app:1\\.0 failed: HTTP 500`));
        }
        assertNothingWritten(join(dir, 'out-tampered-manifest'));
        assert.deepEqual(treeSnapshot(existing), before, 'the existing layout is byte for byte as it was');
      } finally {
        writeFileSync(file, original);
      }
    });

    test('trust data with an invalid signature, or a targets.json altered on the way, is refused; nothing is written', async () => {
      const proxy = await startTamperingProxy(peers.notaryUrl as string, { ca: readFileSync(peers.ca) });
      // The proxy is the trust server now: its TLS settings (the CA of a token realm) are looked up by its host.
      const proxyTls = join(env.DOCKER_CONFIG as string, 'tls', new URL(proxy.url).host);
      mkdirSync(proxyTls, { recursive: true });
      writeFileSync(join(proxyTls, 'ca.crt'), readFileSync(peers.ca));
      // From an empty trust cache each time: the client sees only what the proxy serves now.
      const pull = (out: string) => {
        rmSync(join(env.DOCKER_CONFIG as string, 'trust', 'tuf'), { recursive: true, force: true });
        return runCli(['pull', `${image}:1.0`, '--verify', '--to', `oci:${join(dir, out)}`], { ...env, DOCKER_CONTENT_TRUST_SERVER: proxy.url }, dir);
      };
      try {
        const ok = await pull('out-proxied');
        assert.equal(ok.code, 0, ok.stderr);

        proxy.tamper = (path, body) => (/\/_trust\/tuf\/timestamp\.json$/.test(path) ? flipSignature(body) : undefined);
        const missigned = await pull('out-missigned');
        assert.equal(missigned.code, 1, missigned.stdout);
        assert.match(missigned.stderr, /timestamp metadata failed the signature threshold check/);
        assertNothingWritten(join(dir, 'out-missigned'));

        proxy.tamper = (path, body) => (/\/_trust\/tuf\/targets(\.[0-9a-f]{64})?\.json$/.test(path) ? flipSignature(body) : undefined);
        const altered = await pull('out-altered-targets');
        assert.equal(altered.code, 1, altered.stdout);
        assert.match(altered.stderr, /targets metadata failed the hash check/);
        assertNothingWritten(join(dir, 'out-altered-targets'));
      } finally {
        await proxy.close();
        rmSync(join(env.DOCKER_CONFIG as string, 'trust', 'tuf'), { recursive: true, force: true });
      }
    });

    test('a repository without trust data is refused; a pull by digest needs none', async () => {
      const other = peers.gun('demo/unsigned');
      const p = await vouch('push', `${other}:1.0`, '--from', `oci:${join(dir, 'v1')}`, '--disable-content-trust');
      assert.equal(p.code, 0, p.stderr);
      const r = await vouch('pull', `${other}:1.0`, '--verify', '--to', `oci:${join(dir, 'out-unsigned')}`);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /remote trust data does not exist/);
      const byDigest = await vouch('pull', `${other}@${v1.manifest.digest}`, '--verify', '--to', `oci:${join(dir, 'out-digest')}`);
      assert.equal(byDigest.code, 0, byDigest.stderr);
    });

    test('--json prints one event per line', async () => {
      const r = await vouch('pull', `${image}:1.0`, '--verify', '--json', '--to', `oci:${join(dir, 'out-json')}`);
      assert.equal(r.code, 0, r.stderr);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string });
      assert.equal(events[0]?.event, 'resolved');
      assert.equal(events.at(-1)?.event, 'pulled');
      assert.ok(events.some((e) => e.event === 'blob'));
    });
  });
}
