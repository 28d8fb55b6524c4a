// Several vouch server instances on one database (SQLite file, PostgreSQL): concurrent publishers
// spread over the instances never lose an update, and server keys made by one sign for the other.
// PostgreSQL: $VOUCH_TEST_POSTGRES_URL (scripts/test.sh sets it), else a private cluster is started
// with scripts/postgres.sh for this file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from '../../../src/server/index.js';
import { openStore, type Store } from '../../../src/storage/index.js';
import { addTargets, dockerTarget, newVersion, parseSnapshot } from '../../../src/tuf/index.js';
import { projectRoot } from '../../support/paths.js';
import { Clock, TestRepo, bytesOf, errorOf, post, type TestServer } from './helpers.js';

const SECRET = 'shared-secret-for-tests';

async function twoInstances(url: string): Promise<{ a: TestServer; b: TestServer; stores: Store[] }> {
  const clock = new Clock();
  const s1 = await openStore(url, { keySecret: SECRET, now: clock.now });
  const s2 = await openStore(url, { keySecret: SECRET, now: clock.now });
  return {
    a: { app: createServer({ store: s1, keyStore: s1.keys, now: clock.now }), store: s1 as never, clock },
    b: { app: createServer({ store: s2, keyStore: s2.keys, now: clock.now }), store: s2 as never, clock },
    stores: [s1, s2],
  };
}

async function scenario(url: string): Promise<void> {
  const { a, b, stores } = await twoInstances(url);
  try {
    const gun = `example.com/shared/${randomBytes(6).toString('hex')}`;
    // keys made through instance A, the first publish through instance B
    const repo = await TestRepo.create(a, gun, { serverSnapshot: true });
    const first = await post(b.app, gun, await repo.initParts(a.clock.now()));
    assert.equal(first.statusCode, 200, first.body);
    const now = a.clock.now();
    const uploads: Buffer[] = [];
    let md = repo.targets;
    for (let i = 0; i < 40; i++) {
      md = addTargets(newVersion(md, now), { [`t${i}`]: dockerTarget(Buffer.alloc(32, i), i + 1) });
      uploads.push(await bytesOf(md, [repo.targetsKey]));
    }
    const results = await Promise.all(uploads.map((u, i) => post(i % 2 ? a.app : b.app, gun, [{ filename: 'targets', data: u }])));
    const accepted = results.flatMap((r, i) => (r.statusCode === 200 ? [i] : []));
    for (const r of results) if (r.statusCode !== 200) assert.equal(errorOf(r).code, 'VERSION', r.body);
    assert.ok(accepted.length >= 1);
    for (const i of accepted) assert.deepEqual((await stores[0]!.getVersion(gun, 'targets', i + 2))?.data, uploads[i]);
    const feed = await stores[1]!.changes({ gun, changeId: 0, records: 1000 });
    assert.deepEqual(feed.map((c) => c.version), Array.from({ length: accepted.length + 1 }, (_, k) => k + 1));
    let last = 0;
    for (let v = 2; v <= accepted.length + 1; v++) {
      const snap = parseSnapshot((await stores[0]!.getVersion(gun, 'snapshot', v))!.data);
      const h = Buffer.from(snap.signed.meta.get('targets')!.hashes.get('sha256')!);
      const idx = uploads.findIndex((u) => createHash('sha256').update(u).digest().equals(h));
      assert.ok(idx + 2 > last, 'targets versions strictly increase along the snapshot chain');
      last = idx + 2;
    }
  } finally {
    for (const s of stores) await s.close();
  }
}

describe('two server instances on one SQLite file', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'vouch-shared-sqlite-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });
  test('concurrent publishes through both: none lost, versions strictly increasing', async () => {
    await scenario(`sqlite:${join(dir, 'server.db')}`);
  });
});

describe('two server instances on one PostgreSQL database', () => {
  let url: string;
  let ownCluster: string | undefined;
  before(async () => {
    const given = process.env['VOUCH_TEST_POSTGRES_URL'];
    if (given) {
      url = given;
    } else {
      ownCluster = await mkdtemp(join(tmpdir(), 'vouch-server-pg-'));
      const port = String(20000 + (process.pid % 20000));
      url = execFileSync('bash', [join(projectRoot, 'scripts', 'postgres.sh'), 'start', ownCluster, port], { encoding: 'utf8' }).trim();
    }
  });
  after(async () => {
    if (ownCluster) {
      execFileSync('bash', [join(projectRoot, 'scripts', 'postgres.sh'), 'stop', ownCluster], { stdio: 'ignore' });
      await rm(ownCluster, { recursive: true, force: true });
    }
  });
  test('concurrent publishes through both: none lost, versions strictly increasing', async () => {
    await scenario(url);
  });
});
