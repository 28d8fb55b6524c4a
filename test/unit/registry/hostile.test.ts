// Attacks on `vouch registry` by anyone who can reach it (issue #10, "Servers authenticate first",
// "Unbounded uploads"): upload sessions are bounded per repository and in total, in count and in
// bytes, idle ones expire with their files, writes past the disk budget are refused, and a body is
// opened only once the request is admitted from its headers. Real sockets where the wire matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { digestOf } from '../../../src/core/index.js';
import { BodyBudget } from '../../../src/httpd/index.js';
import { createRegistry, runRegistry, type Registry, type RegistryOptions } from '../../../src/registry/index.js';
import { rawExchange } from '../../support/rawhttp.js';
import { inject, type InjectResponse } from '../../support/inject.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BOUNDED = { timeout: 30_000 };

async function withRegistry(opts: Omit<RegistryOptions, 'root'>, fn: (app: Registry, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'vouch-registry-hostile-'));
  const app = await createRegistry({ root, ...opts });
  try {
    await fn(app, root);
  } finally {
    await app.close();
    await rm(root, { recursive: true, force: true });
  }
}

function errorOf(res: InjectResponse): { code: string; message: string } {
  return (JSON.parse(res.body) as { errors: { code: string; message: string }[] }).errors[0]!;
}

async function openSession(app: Registry, repo: string): Promise<InjectResponse> {
  return inject(app, { method: 'POST', url: `/v2/${repo}/blobs/uploads/` });
}

async function patch(app: Registry, location: string, bytes: Buffer | Readable): Promise<InjectResponse> {
  return inject(app, { method: 'PATCH', url: location, payload: bytes, headers: { 'content-type': 'application/octet-stream' } });
}

/** Upload sessions on disk. */
const sessionsOnDisk = async (root: string): Promise<string[]> => (await readdir(join(root, 'uploads'))).sort();

test('upload sessions are bounded per repository and in total: 429 TOOMANYREQUESTS past either', async () => {
  await withRegistry({ limits: { maxUploadsPerRepository: 3, maxUploads: 5 } }, async (app, root) => {
    for (let i = 0; i < 3; i++) assert.equal((await openSession(app, 'team/a')).statusCode, 202);
    const fourth = await openSession(app, 'team/a');
    assert.equal(fourth.statusCode, 429);
    assert.equal(errorOf(fourth).code, 'TOOMANYREQUESTS');
    assert.match(errorOf(fourth).message, /--max-uploads-per-repo/);
    const b = [];
    for (let i = 0; i < 2; i++) {
      const r = await openSession(app, 'team/b');
      assert.equal(r.statusCode, 202);
      b.push(r.headers['location'] as string);
    }
    const total = await openSession(app, 'team/c');
    assert.equal(total.statusCode, 429);
    assert.match(errorOf(total).message, /--max-uploads\b/);
    assert.equal((await sessionsOnDisk(root)).length, 5);
    // Cancelling one makes room again.
    assert.equal((await inject(app, { method: 'DELETE', url: b[0]! })).statusCode, 204);
    assert.equal((await openSession(app, 'team/c')).statusCode, 202);
  });
});

test('300 abandoned 1 MiB sessions: the registry keeps at most the per-repository bound on disk', async () => {
  await withRegistry({ limits: { maxUploadsPerRepository: 16 } }, async (app, root) => {
    const chunk = Buffer.alloc(MiB, 0x61);
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const s = await openSession(app, 'victim/app');
      if (s.statusCode === 429) { refused++; continue; }
      assert.equal((await patch(app, s.headers['location'] as string, chunk)).statusCode, 202);
    }
    assert.equal(refused, 300 - 16);
    assert.equal((await sessionsOnDisk(root)).length, 16);
  });
});

test('session bytes are bounded per repository and in total, refused from the declared length or as a chunked body arrives', async () => {
  await withRegistry({ limits: { maxUploadBytesPerRepository: 64 * KiB, maxUploadBytes: 96 * KiB } }, async (app) => {
    const a1 = (await openSession(app, 'x/one')).headers['location'] as string;
    const a2 = (await openSession(app, 'x/one')).headers['location'] as string;
    assert.equal((await patch(app, a1, Buffer.alloc(48 * KiB))).statusCode, 202);
    const over = await patch(app, a2, Buffer.alloc(32 * KiB));
    assert.equal(over.statusCode, 429);
    assert.match(errorOf(over).message, /--max-upload-bytes-per-repo/);
    // Chunked (no declared length): refused as it arrives, and the session is left as it was.
    const streamed = await patch(app, a2, Readable.from([Buffer.alloc(8 * KiB), Buffer.alloc(8 * KiB), Buffer.alloc(8 * KiB)]));
    assert.equal(streamed.statusCode, 429);
    const status = await inject(app, { method: 'GET', url: a2 });
    assert.equal(status.headers['range'], '0-0', 'nothing of the refused chunk was kept');
    const b1 = (await openSession(app, 'y/two')).headers['location'] as string;
    assert.equal((await patch(app, b1, Buffer.alloc(48 * KiB))).statusCode, 202);
    const total = await patch(app, a2, Buffer.alloc(KiB));
    assert.equal(total.statusCode, 429);
    assert.match(errorOf(total).message, /--max-upload-bytes\b/);
    // Cancelling a session gives its bytes back.
    assert.equal((await inject(app, { method: 'DELETE', url: b1 })).statusCode, 204);
    assert.equal((await patch(app, a2, Buffer.alloc(KiB))).statusCode, 202);
  });
});

test('idle sessions expire with their files; a session in use does not', async () => {
  let now = Date.parse('2026-12-01T00:00:00Z');
  await withRegistry({ limits: { uploadIdleMs: 60_000 }, now: () => now }, async (app, root) => {
    const idle = (await openSession(app, 'team/app')).headers['location'] as string;
    const busy = (await openSession(app, 'team/app')).headers['location'] as string;
    assert.equal((await patch(app, idle, Buffer.alloc(MiB))).statusCode, 202);
    assert.equal((await patch(app, busy, Buffer.alloc(KiB))).statusCode, 202);
    now += 40_000;
    assert.equal((await patch(app, busy, Buffer.alloc(KiB))).statusCode, 202);
    now += 30_000;
    // A new session sweeps first (the timer does the same in the background).
    const fresh = (await openSession(app, 'team/app')).headers['location'] as string;
    const gone = await inject(app, { method: 'GET', url: idle });
    assert.equal(gone.statusCode, 404);
    assert.equal(errorOf(gone).code, 'BLOB_UPLOAD_UNKNOWN');
    assert.equal((await inject(app, { method: 'GET', url: busy })).statusCode, 204);
    const ids = (l: string): string => l.split('/').pop()!;
    assert.deepEqual(await sessionsOnDisk(root), [ids(busy), ids(fresh)].sort(), 'the idle session\'s directory is deleted');
  });
});

test('a session with an upload in progress is not expired, and sweeping does not wait for it', BOUNDED, async () => {
  let now = Date.parse('2026-12-01T00:00:00Z');
  await withRegistry({ limits: { uploadIdleMs: 60_000 }, now: () => now }, async (app) => {
    const long = (await openSession(app, 'team/app')).headers['location'] as string;
    const body = new PassThrough();
    const inProgress = patch(app, long, body);
    body.write(Buffer.alloc(KiB));
    now += 120_000;
    // Opening a session sweeps idle ones; the one being written is skipped, not waited for.
    assert.equal((await openSession(app, 'team/app')).statusCode, 202);
    body.end(Buffer.alloc(KiB));
    const done = await inProgress;
    assert.equal(done.statusCode, 202);
    assert.equal(done.headers['range'], `0-${2 * KiB - 1}`);
    assert.equal((await inject(app, { method: 'GET', url: long })).statusCode, 204);
  });
});

test('sessions left on disk by an earlier run count against the bounds and expire', async () => {
  const root = await mkdtemp(join(tmpdir(), 'vouch-registry-hostile-'));
  let now = Date.now();
  try {
    const first = await createRegistry({ root, limits: { maxUploadsPerRepository: 2 } });
    for (let i = 0; i < 2; i++) assert.equal((await openSession(first, 'team/app')).statusCode, 202);
    await first.close();
    const again = await createRegistry({ root, limits: { maxUploadsPerRepository: 2, uploadIdleMs: 60_000 }, now: () => now });
    try {
      assert.equal((await openSession(again, 'team/app')).statusCode, 429);
      now += 120_000;
      assert.equal((await openSession(again, 'team/app')).statusCode, 202);
      assert.equal((await sessionsOnDisk(root)).length, 1);
    } finally {
      await again.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the disk budget refuses writes past it (507), before reading a declared body, and counts what an earlier run left', async () => {
  const root = await mkdtemp(join(tmpdir(), 'vouch-registry-hostile-'));
  try {
    const app = await createRegistry({ root, limits: { diskBudgetBytes: 100 * KiB } });
    const blob = Buffer.alloc(60 * KiB, 0x62);
    const put = (b: Buffer | Readable, digest: string) => inject(app, { method: 'POST', url: `/v2/team/app/blobs/uploads/?digest=${digest}`, payload: b, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal((await put(blob, digestOf(blob))).statusCode, 201);
    const second = Buffer.alloc(60 * KiB, 0x63);
    const refused = await put(second, digestOf(second));
    assert.equal(refused.statusCode, 507);
    assert.equal(errorOf(refused).code, 'DENIED');
    assert.match(errorOf(refused).message, /--disk-budget/);
    // Chunked: refused as it arrives, and the partial file is gone.
    const chunked = await put(Readable.from([second.subarray(0, 30 * KiB), second.subarray(30 * KiB)]), digestOf(second));
    assert.equal(chunked.statusCode, 507);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    const session = (await openSession(app, 'team/app')).headers['location'] as string;
    assert.equal((await patch(app, session, Buffer.alloc(50 * KiB))).statusCode, 507);
    await app.close();
    const again = await createRegistry({ root, limits: { diskBudgetBytes: 100 * KiB } });
    try {
      const putAgain = (b: Buffer) => inject(again, { method: 'POST', url: `/v2/team/app/blobs/uploads/?digest=${digestOf(b)}`, payload: b, headers: { 'content-type': 'application/octet-stream' } });
      assert.equal((await putAgain(second)).statusCode, 507, 'the first run\'s files still count');
      assert.equal((await putAgain(Buffer.from('small'))).statusCode, 201);
    } finally {
      await again.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('manifests are read within the bytes-in-flight budget: 503 UNAVAILABLE with Retry-After past it', async () => {
  await withRegistry({ bodyBudget: new BodyBudget(KiB) }, async (app) => {
    const big = Buffer.from(JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(2 * KiB) }));
    const r = await inject(app, { method: 'PUT', url: '/v2/team/app/manifests/v1', payload: big, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(r.statusCode, 503);
    assert.equal(errorOf(r).code, 'UNAVAILABLE');
    assert.equal(r.headers['retry-after'], '5');
  });
});

test('an unauthenticated upload is answered 401 from its headers and the connection closed, the body unread', BOUNDED, async () => {
  const root = await mkdtemp(join(tmpdir(), 'vouch-registry-hostile-'));
  const reg = await runRegistry({ addr: '127.0.0.1:0', root, auth: { username: 'u', password: 'p' } });
  const port = Number(new URL(reg.url).port);
  try {
    for (const head of [`POST /v2/team/app/blobs/uploads/?digest=sha256:${'0'.repeat(64)} HTTP/1.1`, 'PUT /v2/team/app/manifests/v1 HTTP/1.1']) {
      const r = await rawExchange(port, `${head}\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${95 * MiB}`, Buffer.alloc(MiB));
      assert.equal(r.status, 401, head);
      assert.equal(r.headers['connection'], 'close', head);
      await r.closed;
    }
    const cont = await rawExchange(port, `PATCH /v2/team/app/blobs/uploads/00000000-0000-4000-8000-000000000000 HTTP/1.1\r\nHost: x\r\nContent-Length: ${95 * MiB}\r\nExpect: 100-continue`);
    assert.deepEqual(cont.interim, [], 'no 100 Continue before authentication');
    assert.equal(cont.status, 401);
    assert.equal(cont.headers['connection'], 'close');
    await cont.closed;
    assert.deepEqual(await readdir(join(root, 'uploads')), []);
  } finally {
    await reg.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('bodies the registry will not read: over the blob limit, unknown sessions, routes that take none: answered, connection closed', BOUNDED, async () => {
  const root = await mkdtemp(join(tmpdir(), 'vouch-registry-hostile-'));
  const reg = await runRegistry({ addr: '127.0.0.1:0', root, maxBlobBytes: 64 * MiB });
  const port = Number(new URL(reg.url).port);
  try {
    for (const [head, status] of [
      [`POST /v2/team/app/blobs/uploads/?digest=sha256:${'0'.repeat(64)} HTTP/1.1`, 413],
      ['PATCH /v2/team/app/blobs/uploads/00000000-0000-4000-8000-000000000000 HTTP/1.1', 404],
      ['GET /v2/ HTTP/1.1', 200],
      ['DELETE /v2/team/app/manifests/v1 HTTP/1.1', 404],
    ] as const) {
      const r = await rawExchange(port, `${head}\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${95 * MiB}`, Buffer.alloc(MiB));
      assert.equal(r.status, status, head);
      assert.equal(r.headers['connection'], 'close', head);
      await r.closed;
    }
    // Admitted with Expect: 100-continue: invited, then read.
    const blob = Buffer.from('hello');
    const ok = await rawExchange(port, `POST /v2/team/app/blobs/uploads/?digest=${digestOf(blob)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${blob.length}\r\nExpect: 100-continue`, blob);
    assert.deepEqual(ok.interim, [100]);
    assert.equal(ok.status, 201);
    ok.socket.destroy();
  } finally {
    await reg.close();
    await rm(root, { recursive: true, force: true });
  }
});
