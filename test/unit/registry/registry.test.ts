import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf } from '../../../src/core/index.js';
import { createRegistry, parseAddr, runRegistry, type Registry } from '../../../src/registry/index.js';
import { inject, type InjectResponse } from '../../support/inject.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

let root: string;
let app: Registry;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vouch-registry-'));
  app = await createRegistry({ root, maxBlobBytes: 1024 * 1024, maxPageSize: 50 });
});
after(async () => {
  await app.close();
  await rm(root, { recursive: true, force: true });
});

function errorCode(res: InjectResponse): string | undefined {
  return (JSON.parse(res.body) as { errors: { code: string }[] }).errors[0]?.code;
}

async function putBlob(repo: string, bytes: Buffer): Promise<string> {
  const digest = digestOf(bytes);
  const res = await inject(app, { method: 'POST', url: `/v2/${repo}/blobs/uploads/?digest=${digest}`, payload: bytes, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(res.statusCode, 201, res.body);
  return digest;
}

function manifestFor(config: Buffer, layers: Buffer[], mediaType = OCI_MANIFEST): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(l), size: l.length })),
  }));
}

async function pushImage(repo: string, seed: string, tag: string, mediaType = OCI_MANIFEST): Promise<{ manifest: Buffer; digest: string }> {
  const config = Buffer.from(`{"seed":"${seed}"}`);
  const layer = Buffer.from(`layer ${seed}`);
  await putBlob(repo, config);
  await putBlob(repo, layer);
  const manifest = manifestFor(config, [layer], mediaType);
  const res = await inject(app, { method: 'PUT', url: `/v2/${repo}/manifests/${tag}`, payload: manifest, headers: { 'content-type': mediaType } });
  assert.equal(res.statusCode, 201, res.body);
  return { manifest, digest: digestOf(manifest) };
}

test('GET /v2/ answers 200 with the API version header', async () => {
  const res = await inject(app, { method: 'GET', url: '/v2/' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
});

test('monolithic upload: 201 with Location and digest; GET and HEAD serve it; content is stored by digest', async () => {
  const bytes = Buffer.from('monolithic blob');
  const digest = digestOf(bytes);
  const res = await inject(app, { method: 'POST', url: `/v2/mono/app/blobs/uploads/?digest=${digest}`, payload: bytes, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers.location, `/v2/mono/app/blobs/${digest}`);
  assert.equal(res.headers['docker-content-digest'], digest);
  const get = await inject(app, { method: 'GET', url: `/v2/mono/app/blobs/${digest}` });
  assert.equal(get.statusCode, 200);
  assert.deepEqual(get.rawPayload, bytes);
  assert.equal(get.headers['docker-content-digest'], digest);
  const head = await inject(app, { method: 'HEAD', url: `/v2/mono/app/blobs/${digest}` });
  assert.equal(head.statusCode, 200);
  assert.equal(head.headers['content-length'], String(bytes.length));
  assert.equal(head.rawPayload.length, 0);
  assert.deepEqual(await readFile(join(root, 'blobs', 'sha256', digest.slice(7))), bytes);
  assert.deepEqual(await readdir(join(root, 'tmp')), [], 'no temp files left');
  // Other repositories cannot read it without a link.
  const other = await inject(app, { method: 'GET', url: `/v2/other/app/blobs/${digest}` });
  assert.equal(other.statusCode, 404);
  assert.equal(errorCode(other), 'BLOB_UNKNOWN');
});

test('monolithic upload with the wrong digest: 400 DIGEST_INVALID and nothing stored', async () => {
  const digest = digestOf(Buffer.from('the real content'));
  const res = await inject(app, { method: 'POST', url: `/v2/mono/bad/blobs/uploads/?digest=${digest}`, payload: Buffer.from('other content'), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(res.statusCode, 400);
  assert.equal(errorCode(res), 'DIGEST_INVALID');
  assert.equal((await inject(app, { method: 'HEAD', url: `/v2/mono/bad/blobs/${digest}` })).statusCode, 404);
  assert.deepEqual(await readdir(join(root, 'tmp')), []);
  const malformed = await inject(app, { method: 'POST', url: '/v2/mono/bad/blobs/uploads/?digest=sha256:xyz', payload: Buffer.from('x'), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(errorCode(malformed), 'DIGEST_INVALID');
});

test('chunked upload session: PATCH with Content-Range, out-of-order chunk gets 416, status, PUT finalises', async () => {
  const data = Buffer.from('0123456789abcdefghij');
  const digest = digestOf(data);
  const start = await inject(app, { method: 'POST', url: '/v2/chunk/app/blobs/uploads/' });
  assert.equal(start.statusCode, 202);
  assert.equal(start.headers.range, '0-0');
  const location = start.headers.location as string;
  assert.match(location, /^\/v2\/chunk\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
  const p1 = await inject(app, { method: 'PATCH', url: location, payload: data.subarray(0, 8), headers: { 'content-type': 'application/octet-stream', 'content-range': '0-7' } });
  assert.equal(p1.statusCode, 202);
  assert.equal(p1.headers.range, '0-7');
  const skip = await inject(app, { method: 'PATCH', url: location, payload: data.subarray(10, 12), headers: { 'content-type': 'application/octet-stream', 'content-range': '10-11' } });
  assert.equal(skip.statusCode, 416);
  assert.equal(skip.headers.range, '0-7');
  const wrongLen = await inject(app, { method: 'PATCH', url: location, payload: data.subarray(8, 10), headers: { 'content-type': 'application/octet-stream', 'content-range': '8-12' } });
  assert.equal(wrongLen.statusCode, 400);
  assert.equal(errorCode(wrongLen), 'SIZE_INVALID');
  const status = await inject(app, { method: 'GET', url: location });
  assert.equal(status.statusCode, 204);
  assert.equal(status.headers.range, '0-7', 'a refused chunk is not half-applied');
  const p2 = await inject(app, { method: 'PATCH', url: location, payload: data.subarray(8, 15), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(p2.headers.range, '0-14');
  const put = await inject(app, { method: 'PUT', url: `${location}?digest=${digest}`, payload: data.subarray(15), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(put.statusCode, 201, put.body);
  assert.equal(put.headers['docker-content-digest'], digest);
  assert.deepEqual((await inject(app, { method: 'GET', url: `/v2/chunk/app/blobs/${digest}` })).rawPayload, data);
  const gone = await inject(app, { method: 'GET', url: location });
  assert.equal(gone.statusCode, 404);
  assert.equal(errorCode(gone), 'BLOB_UPLOAD_UNKNOWN');
});

test('finalising with the wrong digest: DIGEST_INVALID; sessions belong to their repository', async () => {
  const start = await inject(app, { method: 'POST', url: '/v2/chunk/bad/blobs/uploads/' });
  const location = start.headers.location as string;
  const id = location.split('/').pop() as string;
  const foreign = await inject(app, { method: 'PATCH', url: `/v2/chunk/other/blobs/uploads/${id}`, payload: Buffer.from('x'), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(foreign.statusCode, 404);
  assert.equal(errorCode(foreign), 'BLOB_UPLOAD_UNKNOWN');
  await inject(app, { method: 'PATCH', url: location, payload: Buffer.from('some bytes'), headers: { 'content-type': 'application/octet-stream' } });
  const put = await inject(app, { method: 'PUT', url: `${location}?digest=${digestOf(Buffer.from('different'))}` });
  assert.equal(put.statusCode, 400);
  assert.equal(errorCode(put), 'DIGEST_INVALID');
  const noDigest = await inject(app, { method: 'PUT', url: (await inject(app, { method: 'POST', url: '/v2/chunk/bad/blobs/uploads/' })).headers.location as string });
  assert.equal(errorCode(noDigest), 'DIGEST_INVALID');
  const del = await inject(app, { method: 'DELETE', url: (await inject(app, { method: 'POST', url: '/v2/chunk/bad/blobs/uploads/' })).headers.location as string });
  assert.equal(del.statusCode, 204);
});

test('uploads are bounded by maxBlobBytes: 413 SIZE_INVALID', async () => {
  const big = Buffer.alloc(1024 * 1024 + 1, 1);
  const res = await inject(app, { method: 'POST', url: `/v2/big/app/blobs/uploads/?digest=${digestOf(big)}`, payload: big, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(res.statusCode, 413);
  assert.equal(errorCode(res), 'SIZE_INVALID');
  const start = await inject(app, { method: 'POST', url: '/v2/big/app/blobs/uploads/' });
  const patch = await inject(app, { method: 'PATCH', url: start.headers.location as string, payload: big, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(patch.statusCode, 413);
  const status = await inject(app, { method: 'GET', url: start.headers.location as string });
  assert.equal(status.headers.range, '0-0');
  assert.deepEqual(await readdir(join(root, 'tmp')), []);
});

test('cross-repository mount: 201 when the source has the blob, a normal 202 session otherwise', async () => {
  const digest = await putBlob('mount/src', Buffer.from('shared layer'));
  const res = await inject(app, { method: 'POST', url: `/v2/mount/dst/blobs/uploads/?mount=${digest}&from=mount/src` });
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers.location, `/v2/mount/dst/blobs/${digest}`);
  assert.equal((await inject(app, { method: 'HEAD', url: `/v2/mount/dst/blobs/${digest}` })).statusCode, 200);
  const miss = await inject(app, { method: 'POST', url: `/v2/mount/dst2/blobs/uploads/?mount=${digestOf(Buffer.from('absent'))}&from=mount/src` });
  assert.equal(miss.statusCode, 202);
  assert.match(miss.headers.location as string, /\/blobs\/uploads\//);
});

test('manifests: stored byte for byte, served with their media type and digest, by tag and by digest', async () => {
  const { manifest, digest } = await pushImage('man/app', 'a', 'v1');
  const byTag = await inject(app, { method: 'GET', url: '/v2/man/app/manifests/v1', headers: { accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST}` } });
  assert.equal(byTag.statusCode, 200);
  assert.deepEqual(byTag.rawPayload, manifest);
  assert.equal(byTag.headers['content-type'], OCI_MANIFEST);
  assert.equal(byTag.headers['docker-content-digest'], digest);
  const byDigest = await inject(app, { method: 'GET', url: `/v2/man/app/manifests/${digest}` });
  assert.deepEqual(byDigest.rawPayload, manifest);
  const head = await inject(app, { method: 'HEAD', url: '/v2/man/app/manifests/v1' });
  assert.equal(head.headers['content-length'], String(manifest.length));
  assert.equal(head.headers['docker-content-digest'], digest);
  // A client that accepts only Docker types does not get an OCI manifest.
  const dockerOnly = await inject(app, { method: 'GET', url: '/v2/man/app/manifests/v1', headers: { accept: DOCKER_MANIFEST } });
  assert.equal(dockerOnly.statusCode, 404);
  assert.equal(errorCode(dockerOnly), 'MANIFEST_UNKNOWN');
  const docker = await pushImage('man/app', 'd', 'docker', DOCKER_MANIFEST);
  const got = await inject(app, { method: 'GET', url: '/v2/man/app/manifests/docker', headers: { accept: DOCKER_MANIFEST } });
  assert.equal(got.headers['content-type'], DOCKER_MANIFEST);
  assert.equal(got.headers['docker-content-digest'], docker.digest);
  const unknown = await inject(app, { method: 'GET', url: '/v2/man/app/manifests/nope' });
  assert.equal(errorCode(unknown), 'MANIFEST_UNKNOWN');
  const noRepo = await inject(app, { method: 'GET', url: '/v2/no/such/manifests/v1' });
  assert.equal(errorCode(noRepo), 'NAME_UNKNOWN');
});

test('manifest PUT validation: unknown blobs, bad JSON, type mismatch, digest mismatch, bad tag, schema 1, oversize', async () => {
  const config = Buffer.from('{"c":1}');
  const layer = Buffer.from('layer x');
  await putBlob('val/app', config);
  const missing = await inject(app, { method: 'PUT', url: '/v2/val/app/manifests/v1', payload: manifestFor(config, [layer]), headers: { 'content-type': OCI_MANIFEST } });
  assert.equal(missing.statusCode, 400);
  assert.equal(errorCode(missing), 'MANIFEST_BLOB_UNKNOWN');
  await putBlob('val/app', layer);
  const good = manifestFor(config, [layer]);
  const cases: [string, Buffer, string, number, string][] = [
    ['/v2/val/app/manifests/v1', Buffer.from('{not json'), OCI_MANIFEST, 400, 'MANIFEST_INVALID'],
    ['/v2/val/app/manifests/v1', good, DOCKER_MANIFEST, 400, 'MANIFEST_INVALID'],
    [`/v2/val/app/manifests/${digestOf(Buffer.from('x'))}`, good, OCI_MANIFEST, 400, 'DIGEST_INVALID'],
    ['/v2/val/app/manifests/-bad-tag', good, OCI_MANIFEST, 400, 'TAG_INVALID'],
    ['/v2/val/app/manifests/v1', Buffer.from('{"schemaVersion":1,"name":"x"}'), 'application/vnd.docker.distribution.manifest.v1+prettyjws', 415, 'UNSUPPORTED'],
    ['/v2/val/app/manifests/v1', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { digest: 'sha256:zz' } })), OCI_MANIFEST, 400, 'MANIFEST_INVALID'],
    ['/v2/val/app/manifests/v1', Buffer.alloc(4 * 1024 * 1024 + 1, 0x20), OCI_MANIFEST, 413, 'SIZE_INVALID'],
    // checked by the OCI format layer the client uses too (src/oci/manifest.ts): annotations map strings to strings
    ['/v2/val/app/manifests/v1', Buffer.from(JSON.stringify({ ...JSON.parse(good.toString()) as object, annotations: { n: 1 } })), OCI_MANIFEST, 400, 'MANIFEST_INVALID'],
    ['/v2/val/app/manifests/v1', Buffer.from('{"schemaVersion":2}'), 'application/vnd.docker.distribution.manifest.v1+json', 415, 'UNSUPPORTED'],
  ];
  for (const [url, payload, ct, status, code] of cases) {
    const res = await inject(app, { method: 'PUT', url, payload, headers: { 'content-type': ct } });
    assert.equal(res.statusCode, status, `${url} ${ct}: ${res.body.slice(0, 200)}`);
    assert.equal(errorCode(res), code);
  }
  const byDigest = await inject(app, { method: 'PUT', url: `/v2/val/app/manifests/${digestOf(good)}`, payload: good, headers: { 'content-type': OCI_MANIFEST } });
  assert.equal(byDigest.statusCode, 201);
  assert.equal(byDigest.headers.location, `/v2/val/app/manifests/${digestOf(good)}`);
});

test('an index needs its child manifests in the repository', async () => {
  const child = await pushImage('idx/app', 'child', 'child');
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: child.manifest.length, platform: { architecture: 'amd64', os: 'linux' } }] }));
  const elsewhere = await inject(app, { method: 'PUT', url: '/v2/idx/other/manifests/multi', payload: index, headers: { 'content-type': OCI_INDEX } });
  assert.equal(errorCode(elsewhere), 'MANIFEST_BLOB_UNKNOWN');
  const ok = await inject(app, { method: 'PUT', url: '/v2/idx/app/manifests/multi', payload: index, headers: { 'content-type': OCI_INDEX } });
  assert.equal(ok.statusCode, 201);
  const got = await inject(app, { method: 'GET', url: '/v2/idx/app/manifests/multi', headers: { accept: OCI_INDEX } });
  assert.equal(got.headers['content-type'], OCI_INDEX);
});

test('DELETE: manifests by digest take their tags with them; tags and blobs can be deleted', async () => {
  const { digest } = await pushImage('del/app', 'x', 'v1');
  const tagOnly = await pushImage('del/app', 'y', 'v2');
  assert.equal((await inject(app, { method: 'DELETE', url: `/v2/del/app/manifests/${digest}` })).statusCode, 202);
  assert.equal((await inject(app, { method: 'GET', url: `/v2/del/app/manifests/${digest}` })).statusCode, 404);
  assert.equal((await inject(app, { method: 'GET', url: '/v2/del/app/manifests/v1' })).statusCode, 404);
  assert.equal((await inject(app, { method: 'DELETE', url: '/v2/del/app/manifests/v2' })).statusCode, 202);
  assert.equal((await inject(app, { method: 'GET', url: '/v2/del/app/manifests/v2' })).statusCode, 404);
  assert.equal((await inject(app, { method: 'GET', url: `/v2/del/app/manifests/${tagOnly.digest}` })).statusCode, 200, 'deleting a tag keeps the manifest');
  const blob = await putBlob('del/app', Buffer.from('to delete'));
  assert.equal((await inject(app, { method: 'DELETE', url: `/v2/del/app/blobs/${blob}` })).statusCode, 202);
  const gone = await inject(app, { method: 'GET', url: `/v2/del/app/blobs/${blob}` });
  assert.equal(errorCode(gone), 'BLOB_UNKNOWN');
  assert.equal(errorCode(await inject(app, { method: 'DELETE', url: `/v2/del/app/manifests/${digest}` })), 'MANIFEST_UNKNOWN');
});

test('tags/list paginates with n and last and a Link header; unknown repositories are NAME_UNKNOWN; catalog lists repositories', async () => {
  for (const t of ['b', 'a', 'd', 'c', 'e']) await pushImage('tags/app', 't', t);
  const first = await inject(app, { method: 'GET', url: '/v2/tags/app/tags/list?n=2' });
  assert.deepEqual(JSON.parse(first.body), { name: 'tags/app', tags: ['a', 'b'] });
  assert.equal(first.headers.link, '</v2/tags/app/tags/list?n=2&last=b>; rel="next"');
  const second = await inject(app, { method: 'GET', url: '/v2/tags/app/tags/list?n=2&last=b' });
  assert.deepEqual(JSON.parse(second.body).tags, ['c', 'd']);
  const last = await inject(app, { method: 'GET', url: '/v2/tags/app/tags/list?n=2&last=d' });
  assert.deepEqual(JSON.parse(last.body).tags, ['e']);
  assert.equal(last.headers.link, undefined);
  const all = await inject(app, { method: 'GET', url: '/v2/tags/app/tags/list' });
  assert.deepEqual(JSON.parse(all.body).tags, ['a', 'b', 'c', 'd', 'e']);
  const unknown = await inject(app, { method: 'GET', url: '/v2/tags/none/tags/list' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(errorCode(unknown), 'NAME_UNKNOWN');
  const catalog = JSON.parse((await inject(app, { method: 'GET', url: '/v2/_catalog' })).body) as { repositories: string[] };
  assert.ok(catalog.repositories.includes('tags/app') && catalog.repositories.includes('man/app'));
  assert.deepEqual(catalog.repositories, [...catalog.repositories].sort());
});

test('invalid names are NAME_INVALID, including traversal attempts', async () => {
  for (const url of ['/v2/UPPER/app/tags/list', '/v2/a//b/tags/list', `/v2/${'a'.repeat(256)}/tags/list`, '/v2/_x/blobs/uploads/']) {
    const res = await inject(app, { method: url.endsWith('uploads/') ? 'POST' : 'GET', url });
    assert.equal(res.statusCode, 400, url);
    assert.equal(errorCode(res), 'NAME_INVALID', url);
  }
  // inject normalises `..`; a real socket sends the raw path.
  const dir = await mkdtemp(join(tmpdir(), 'vouch-registry-raw-'));
  const live = await runRegistry({ addr: '127.0.0.1:0', root: dir });
  try {
    const { port } = new URL(live.url);
    for (const path of ['/v2/a/../b/tags/list', '/v2/a/%2e%2e/b/tags/list', '/v2/../../etc/manifests/passwd', '/v2/a/..%2f..%2fb/blobs/uploads/']) {
      const { status, body } = await rawRequest(Number(port), path.endsWith('uploads/') ? 'POST' : 'GET', path);
      assert.equal(status, 400, path);
      assert.equal((JSON.parse(body) as { errors: { code: string }[] }).errors[0]?.code, 'NAME_INVALID', path);
    }
  } finally {
    await live.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('paths outside /v2/ and methods outside the API are 404 with an OCI error body; a request in flight when it closes is answered, with Connection: close', async () => {
  for (const [method, url] of [['GET', '/foo'], ['GET', '/v2'], ['OPTIONS', '/v2/']] as const) {
    const res = await inject(app, { method, url });
    assert.equal(res.statusCode, 404, `${method} ${url}`);
    assert.equal(errorCode(res), 'NAME_UNKNOWN');
    assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
  }
  const dir = await mkdtemp(join(tmpdir(), 'vouch-registry-close-'));
  const live = await runRegistry({ addr: '127.0.0.1:0', root: dir });
  try {
    const { port } = new URL(live.url);
    // A request in flight when the registry closes is answered and its connection closed; a
    // request pipelined behind it is not read.
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    const seen = (text: string): Promise<void> => new Promise((resolve) => {
      const check = (): void => { if (received.includes(text)) { socket.off('data', check); resolve(); } };
      socket.on('data', check);
      check();
    });
    socket.on('data', (c: Buffer) => { received += c.toString('latin1'); });
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const blob = Buffer.from('hello');
    socket.write(`POST /v2/close/app/blobs/uploads/?digest=${digestOf(blob)} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`);
    await seen('100 Continue');
    const closing = live.close();
    socket.write(Buffer.concat([blob, Buffer.from('GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n')]));
    await ended;
    await closing;
    assert.match(received, /HTTP\/1\.1 201 Created\r\n/, received);
    assert.match(received, /\r\nconnection: close\r\n/i);
    assert.equal(received.split('HTTP/1.1 ').length, 3, 'the 100 and the 201, nothing for the pipelined request');
  } finally {
    await live.close();
    await rm(dir, { recursive: true, force: true });
  }
});

function rawRequest(port: number, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('basic auth: 401 with a Basic challenge and UNAUTHORIZED, 200 with the right credentials', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vouch-registry-auth-'));
  const secured = await createRegistry({ root: dir, auth: { username: 'u', password: 'p' } });
  try {
    const anon = await inject(secured, { method: 'GET', url: '/v2/' });
    assert.equal(anon.statusCode, 401);
    assert.equal(anon.headers['www-authenticate'], 'Basic realm="vouch-registry"');
    assert.equal(errorCode(anon), 'UNAUTHORIZED');
    const wrong = await inject(secured, { method: 'GET', url: '/v2/', headers: { authorization: 'Basic ' + Buffer.from('u:x').toString('base64') } });
    assert.equal(wrong.statusCode, 401);
    const ok = await inject(secured, { method: 'GET', url: '/v2/', headers: { authorization: 'Basic ' + Buffer.from('u:p').toString('base64') } });
    assert.equal(ok.statusCode, 200);
  } finally {
    await secured.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('parseAddr reads host:port, :port and [v6]:port', () => {
  assert.deepEqual(parseAddr('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
  // one meaning of :PORT for both servers (Go's, as docker-registry's addr): every interface
  assert.deepEqual(parseAddr(':5000'), { host: '0.0.0.0', port: 5000 });
  assert.deepEqual(parseAddr('[::1]:0'), { host: '::1', port: 0 });
  assert.throws(() => parseAddr('nonsense'));
});

test('referrers API: a manifest with a subject is indexed (OCI-Subject), listed, filtered, and dropped on delete', async () => {
  const subject = digestOf(Buffer.from('a subject that was never pushed'));
  const empty = Buffer.from('{}');
  const payload = Buffer.from('signature bytes');
  await putBlob('refs/app', empty);
  await putBlob('refs/app', payload);
  const artifact = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: 'application/vnd.example.sig',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: digestOf(empty), size: 2 },
    layers: [{ mediaType: 'application/octet-stream', digest: digestOf(payload), size: payload.length }],
    subject: { mediaType: OCI_MANIFEST, digest: subject, size: 123 },
    annotations: { 'org.example.who': 'alice' },
  }));
  const put = await inject(app, { method: 'PUT', url: `/v2/refs/app/manifests/${digestOf(artifact)}`, payload: artifact, headers: { 'content-type': OCI_MANIFEST } });
  assert.equal(put.statusCode, 201, put.body);
  assert.equal(put.headers['oci-subject'], subject);
  const list = await inject(app, { method: 'GET', url: `/v2/refs/app/referrers/${subject}` });
  assert.equal(list.statusCode, 200);
  assert.equal(list.headers['content-type'], OCI_INDEX);
  assert.deepEqual(JSON.parse(list.body), {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [{ mediaType: OCI_MANIFEST, digest: digestOf(artifact), size: artifact.length, artifactType: 'application/vnd.example.sig', annotations: { 'org.example.who': 'alice' } }],
  });
  const filtered = await inject(app, { method: 'GET', url: `/v2/refs/app/referrers/${subject}?artifactType=application/other` });
  assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
  assert.deepEqual(JSON.parse(filtered.body).manifests, []);
  const none = await inject(app, { method: 'GET', url: `/v2/refs/app/referrers/${digestOf(Buffer.from('nothing'))}` });
  assert.equal(none.statusCode, 200, 'an empty list, never 404');
  assert.deepEqual(JSON.parse(none.body).manifests, []);
  assert.equal(errorCode(await inject(app, { method: 'GET', url: '/v2/refs/app/referrers/sha256:nope' })), 'DIGEST_INVALID');
  assert.equal((await inject(app, { method: 'DELETE', url: `/v2/refs/app/manifests/${digestOf(artifact)}` })).statusCode, 202);
  assert.deepEqual(JSON.parse((await inject(app, { method: 'GET', url: `/v2/refs/app/referrers/${subject}` })).body).manifests, []);
});
