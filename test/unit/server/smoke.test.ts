import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newServer, post, TestRepo, errorOf } from './helpers.js';

test('init, add a tag, read back', async () => {
  const t = newServer();
  const gun = 'example.com/org/app';
  const repo = await TestRepo.create(t, gun);
  const res = await post(t.app, gun, await repo.initParts(t.clock.now()));
  assert.equal(res.statusCode, 200, res.body);
  const ts = await t.app.inject({ method: 'GET', url: `/v2/${gun}/_trust/tuf/timestamp.json` });
  assert.equal(ts.statusCode, 200);
  console.log(ts.headers, ts.body);
  repo.addTag('1.0', 1, t.clock.now());
  const r2 = await post(t.app, gun, [{ filename: 'targets', data: await repo.targetsBytes() }, { filename: 'snapshot', data: await repo.snapshotBytes(t.clock.now()) }]);
  assert.equal(r2.statusCode, 200, r2.body);
  const r3 = await post(t.app, gun, [{ filename: 'targets', data: await repo.targetsBytes() }]);
  console.log(errorOf(r3));
});
