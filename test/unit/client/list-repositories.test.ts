// listRepositories (vouch status --all) against a trust server that pages its changefeed, deletes
// repositories, and one that lies: malformed records and a changefeed that never ends are errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listRepositories } from '../../../src/client/remote.js';
import { HttpTransport } from '../../../src/http/index.js';

type Rec = { ID: string; GUN: string; Category?: string };

async function serve(answer: (changeId: number) => unknown): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(u.pathname + u.search);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer(Number(u.searchParams.get('change_id')))));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

const page = (records: Rec[]) => ({ count: records.length, records });

test('pages through the changefeed; deletions remove a repository', async () => {
  const all: Rec[] = [];
  for (let i = 1; i <= 1500; i++) all.push({ ID: String(i), GUN: `example.com/r${i % 3}`, Category: 'update' });
  all.push({ ID: '1501', GUN: 'example.com/r1', Category: 'deletion' });
  const s = await serve((after) => page(all.filter((r) => Number(r.ID) > after).slice(0, 1000)));
  try {
    assert.deepEqual(await listRepositories(new HttpTransport({ retries: 0 }), s.url), ['example.com/r0', 'example.com/r2']);
    assert.deepEqual(s.requests, ['/v2/_trust/changefeed?change_id=0&records=1000', '/v2/_trust/changefeed?change_id=1000&records=1000']);
  } finally {
    s.server.close();
  }
});

test('a malformed record, a changefeed that goes back, or one that never ends is an error', async () => {
  const bad = await serve(() => page([{ ID: 'x', GUN: 'example.com/a' }]));
  try {
    await assert.rejects(listRepositories(new HttpTransport({ retries: 0 }), bad.url), /malformed record/);
  } finally {
    bad.server.close();
  }
  const back = await serve(() => page([{ ID: '5', GUN: 'example.com/a' }, { ID: '5', GUN: 'example.com/b' }]));
  try {
    await assert.rejects(listRepositories(new HttpTransport({ retries: 0 }), back.url), /does not move forward/);
  } finally {
    back.server.close();
  }
  // every page full, every change new: the client stops on its own after a bounded number of pages
  const endless = await serve((after) => page(Array.from({ length: 1000 }, (_, i) => ({ ID: String(after + i + 1), GUN: 'example.com/a' }))));
  try {
    await assert.rejects(listRepositories(new HttpTransport({ retries: 0 }), endless.url), /does not end after 1000 pages/);
  } finally {
    endless.server.close();
  }
});
