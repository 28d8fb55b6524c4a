// The real notary 0.7 client's whole flow and the real Docker CLI's trust flow (no daemon) against
// vouch server, once for each storage (memory, SQLite, PostgreSQL on $VOUCH_TEST_POSTGRES_URL, a
// fresh schema per run) with and without token auth (the peers' token server). With token auth the
// writers send credentials (NOTARY_AUTH, docker's config.json), the fresh readers are anonymous, as
// docker users have it. A missing tool or a missing VOUCH_TEST_POSTGRES_URL is a failure, never a skip.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningServer } from '../../src/server/index.js';
import { startPeers, type Peers } from '../support/peers.js';
import { freshSchema, type TestSchema } from '../support/postgres.js';
import { HEX_A, HEX_B, listed, need, notary, ok, peersCtx, rawRequest, start, tokenAuth, type Ctx } from '../support/vouch-server.js';

const STORAGES = ['memory', 'sqlite', 'postgres'] as const;
const AUTHS = ['none', 'token'] as const;
const CREDENTIALS = 'testuser:testpassword';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

interface Signed<T = Record<string, unknown>> { signed: T & { version: number }; signatures: { keyid: string; method: string }[] }
type Root = Signed<{ roles: Record<string, { keyids: string[] }> }>;

let peers: Peers;

describe('vouch server: the notary CLI and docker CLI flows on every storage, with and without token auth', { concurrency: 3 }, () => {
  before(async () => {
    need('notary');
    need('openssl');
    peers = await startPeers({ tokenServer: true, docker: true }); // also makes the test CA and the server's certificate
  });
  after(async () => { await peers?.stop(); });

  for (const storage of STORAGES) for (const auth of AUTHS) combination(storage, auth);
});

function combination(storage: (typeof STORAGES)[number], auth: (typeof AUTHS)[number]): void {
  describe(`${storage} storage, auth ${auth}`, { concurrency: 1 }, () => {
    const token = auth === 'token';
    const gun = `registry.example.com:5000/${storage}-${auth}/app`;
    let ctx: Ctx;
    let server: RunningServer;
    let schema: TestSchema | undefined;
    let ca: Buffer;
    /** The repository owner's notary (with credentials under token auth); `fresh(name)` an anonymous one with an empty trust dir. */
    const owner = () => notary(ctx, server, join(ctx.dir, 'trust'), token ? { NOTARY_AUTH: b64(CREDENTIALS) } : {});
    const fresh = (name: string) => notary(ctx, server, join(ctx.dir, name));

    before(async () => {
      ctx = { ...peersCtx(peers.dir), dir: await mkdtemp(join(peers.dir, `${storage}-${auth}-`)) };
      ca = await readFile(ctx.ca);
      const data = join(ctx.dir, 'data');
      if (storage === 'postgres') schema = await freshSchema('vouch_interop');
      const url = storage === 'memory' ? 'memory' : storage === 'sqlite' ? `sqlite:${join(data, 'server.db')}` : schema!.url;
      server = await start(ctx, url, {
        vouch: { data_dir: data },
        ...(token ? tokenAuth(peers) : {}),
      });
    });
    after(async () => {
      await server?.close();
      await schema?.drop();
    });

    /** GET through HTTPS, with an anonymous pull token from the token server under token auth. */
    const get = async <T>(path: string, repo = gun): Promise<T> => {
      const headers: Record<string, string> = {};
      if (token) {
        const realm = new URL(peers.tokenRealm!);
        const t = await rawRequest(realm.origin, ca, 'GET', `${realm.pathname}?service=notary-server&scope=${encodeURIComponent(`repository:${repo}:pull`)}`);
        assert.equal(t.status, 200, t.body);
        headers.authorization = `Bearer ${(JSON.parse(t.body) as { token: string }).token}`;
      }
      const r = await rawRequest(server.url, ca, 'GET', `/v2/${repo}/_trust/${path}`, headers);
      assert.equal(r.status, 200, `GET ${path}: ${r.body}`);
      return JSON.parse(r.body) as T;
    };
    const meta = <T = Record<string, unknown>>(role: string) => get<Signed<T>>(`tuf/${role}.json`);

    if (token) {
      test('wrong credentials are refused; requests without a token get the Bearer challenge', async () => {
        const bad = await notary(ctx, server, join(ctx.dir, 'bad'), { NOTARY_AUTH: b64('testuser:wrong') })(['init', gun, '-p']);
        assert.notEqual(bad.code, 0);
        assert.match(bad.stdout + bad.stderr, /unauthorized|credentials/i);
        const direct = await rawRequest(server.url, ca, 'GET', `/v2/${gun}/_trust/tuf/root.json`);
        assert.equal(direct.status, 401);
        assert.equal(direct.headers['www-authenticate'], `Bearer realm="${peers.tokenRealm}",service="notary-server",scope="repository:${gun}:pull"`);
      });
    }

    test('notary: init, add, addhash, publish; a fresh client lists them', async () => {
      const n = owner();
      ok(await n(['init', gun, '-p']), 'init -p');
      const file = join(ctx.dir, 'payload.bin');
      await writeFile(file, 'hello vouch\n');
      ok(await n(['add', gun, 'v1', file]), 'add');
      ok(await n(['addhash', gun, 'v2', '1234', '--sha256', HEX_A]), 'addhash');
      ok(await n(['publish', gun]), 'publish');
      const rows = listed(ok(await fresh('fresh1')(['list', gun]), 'list (fresh)'));
      assert.deepEqual([...rows.keys()].sort(), ['v1', 'v2']);
      assert.deepEqual(rows.get('v2'), [HEX_A, '1234', 'targets']);
      assert.equal(rows.get('v1')![1], '12');
      // the metadata is in the storage under test
      if (storage === 'sqlite') assert.ok(existsSync(join(ctx.dir, 'data', 'server.db')));
      if (storage === 'postgres') assert.deepEqual(await schema!.query('SELECT DISTINCT gun FROM tuf_files'), [{ gun }]);
    });

    test('notary: delegation add, publish through targets/releases', async () => {
      const n = owner();
      const key = join(ctx.dir, 'rel-key.pem');
      const pub = join(ctx.dir, 'rel.pub');
      execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], { stdio: 'pipe' });
      execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub], { stdio: 'pipe' });
      ok(await n(['key', 'import', key, '--role', 'releases']), 'key import');
      ok(await n(['delegation', 'add', gun, 'targets/releases', pub, '--all-paths', '-p']), 'delegation add -p');
      ok(await n(['addhash', gun, 'rel1', '999', '--sha256', HEX_B, '-r', 'targets/releases', '-p']), 'addhash -r targets/releases');
      const rows = listed(ok(await fresh('fresh2')(['list', gun]), 'list (fresh)'));
      assert.deepEqual(rows.get('rel1'), [HEX_B, '999', 'targets/releases']);
      assert.match(ok(await n(['delegation', 'list', gun]), 'delegation list'), /targets\/releases/);
    });

    test('notary: key rotate snapshot -r and timestamp -r move signing to new server keys', async () => {
      const n = owner();
      const keyids = async () => {
        const root = await meta<Root['signed']>('root');
        return { snapshot: root.signed.roles.snapshot!.keyids, timestamp: root.signed.roles.timestamp!.keyids };
      };
      const old = await keyids();
      ok(await n(['key', 'rotate', gun, 'snapshot', '-r']), 'rotate snapshot -r');
      ok(await n(['key', 'rotate', gun, 'timestamp', '-r']), 'rotate timestamp -r');
      ok(await n(['addhash', gun, 'v3', '77', '--sha256', HEX_B, '-p']), 'addhash after rotations');
      const now = await keyids();
      assert.notDeepEqual(now.snapshot, old.snapshot, 'a new snapshot key');
      assert.notDeepEqual(now.timestamp, old.timestamp, 'a new timestamp key');
      assert.deepEqual((await meta('timestamp')).signatures.map((s) => s.keyid), now.timestamp);
      assert.deepEqual((await meta('snapshot')).signatures.map((s) => s.keyid), now.snapshot);
      const rows = listed(ok(await fresh('fresh3')(['list', gun]), 'list (fresh)'));
      assert.deepEqual([...rows.keys()].sort(), ['rel1', 'v1', 'v2', 'v3']);
    });

    test('notary: root rotation (old and fresh clients follow it); witness re-signs targets', async () => {
      const n = owner();
      const before = await meta('root');
      const cached = fresh('cached'); // a second client that cached the old root
      ok(await cached(['list', gun]), 'list before root rotation');
      ok(await n(['key', 'rotate', gun, 'root'], 'yes\n'), 'key rotate root');
      const rotated = await meta('root');
      assert.equal(rotated.signed.version, before.signed.version + 1);
      assert.equal(rotated.signatures.length, 2, 'signed by the old and the new root key');
      const targets = (await meta('targets')).signed.version;
      ok(await n(['witness', gun, 'targets', '-p']), 'witness -p');
      assert.equal((await meta('targets')).signed.version, targets + 1, 'witness published a new targets version');
      ok(await n(['addhash', gun, 'v4', '5', '--sha256', HEX_A, '-p']), 'publish after root rotation');
      assert.ok(listed(ok(await cached(['list', gun]), 'list with the cached old root')).has('v4'));
      const rows = listed(ok(await fresh('fresh4')(['list', gun]), 'list (fresh)'));
      assert.deepEqual([...rows.keys()].sort(), ['rel1', 'v1', 'v2', 'v3', 'v4']);
    });

    test('notary: delete --remote removes the repository', async () => {
      ok(await owner()(['delete', gun, '--remote']), 'delete --remote');
      const r = await fresh('fresh5')(['list', gun]);
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, /does not have trust data/);
      const feed = await get<{ records: { Category: string }[] }>('changefeed?records=-1&change_id=-1');
      assert.equal(feed.records.at(-1)!.Category, 'deletion');
    });

    test('docker: trust key generate, signer add, sign of an existing tag, inspect (--pretty), revoke', async () => {
      const repo = `registry.example.com/${storage}-${auth}/docker`;
      const config = join(ctx.dir, 'docker');
      const url = server.url.replace('127.0.0.1', 'localhost');
      const pass = { DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'docker-root-pass', DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'docker-repo-pass' };
      // docker sends the registry's credentials to the notary realm; there is no `docker login` without a daemon
      await mkdir(config, { recursive: true });
      await writeFile(join(config, 'config.json'), JSON.stringify(token ? { auths: { 'registry.example.com': { auth: b64(CREDENTIALS) } } } : {}));
      const docker = async (args: string[], what: string) => ok(await peers.docker(args, { config, env: { HOME: ctx.dir, NOTARY_URL: url, NOTARY_CA: ctx.ca, ...pass }, timeoutMs: 60_000 }), what);
      await docker(['trust', 'key', 'generate', 'alice', '--dir', ctx.dir], 'trust key generate');
      assert.match(await docker(['trust', 'signer', 'add', '--key', join(ctx.dir, 'alice.pub'), 'alice', repo], 'trust signer add'), /Successfully initialized/);
      // a tag signed by the repository key (the notary CLI on docker's trust dir), then re-signed by alice
      const n = notary(ctx, server, join(config, 'trust'), { NOTARY_TARGETS_PASSPHRASE: pass.DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE, NOTARY_ROOT_PASSPHRASE: pass.DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE, ...(token ? { NOTARY_AUTH: b64(CREDENTIALS) } : {}) });
      ok(await n(['addhash', repo, '1.0', '401', '--sha256', HEX_A, '-p']), 'notary addhash into docker\'s repository');
      await docker(['trust', 'sign', `${repo}:1.0`], 'trust sign (existing tag)');
      const inspect = JSON.parse(await docker(['trust', 'inspect', repo], 'trust inspect')) as { SignedTags: { SignedTag: string; Digest: string; Signers: string[] }[]; Signers: { Name: string }[] }[];
      assert.deepEqual(inspect[0]!.SignedTags, [{ SignedTag: '1.0', Digest: HEX_A, Signers: ['alice'] }]);
      assert.deepEqual(inspect[0]!.Signers.map((s) => s.Name), ['alice']);
      const pretty = await docker(['trust', 'inspect', '--pretty', repo], 'trust inspect --pretty');
      assert.match(pretty, new RegExp(`^1\\.0\\s+${HEX_A}\\s+alice$`, 'm'));
      assert.match(pretty, /^List of signers and their keys for .*\n\nSIGNER\s+KEYS\nalice\s+[0-9a-f]{12}$/m);
      await docker(['trust', 'revoke', '-y', `${repo}:1.0`], 'trust revoke');
      const revoked = JSON.parse(await docker(['trust', 'inspect', repo], 'trust inspect after revoke')) as { SignedTags: { Signers: string[] }[] }[];
      assert.deepEqual(revoked[0]!.SignedTags.map((t) => t.Signers), [['Repo Admin']]);
    });
  });
}
