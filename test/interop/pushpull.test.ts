// Push = sign + publish, pull = verify + download, against the REAL CNCF registry (Debian's
// docker-registry: plain, htpasswd, token auth) and the REAL notary-server, driven through the
// vouch CLI; the real notary client checks what vouch signed. The tamper scenarios must be refused
// and leave nothing at the destination.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPeers, type Peers } from '../support/peers.js';
import { runCli } from '../support/cli.js';
import { writeDemoImage, type DemoImage } from '../../src/cli/demoimage.js';

const USER = 'testuser';
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
      assert.equal(existsSync(out), false);
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
        assert.equal(existsSync(out), false);
      } finally {
        writeFileSync(file, original);
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
