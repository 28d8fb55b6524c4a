// Credentials stay home: a registry's password goes only to that registry's host (and to the token
// realm its challenges name), never over plain http to a realm named by an https registry, and
// never in answer to another origin's Basic challenge (a Link or Location may point anywhere).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isVouchError } from '../../../src/core/index.js';
import { HttpTransport } from '../../../src/http/index.js';
import { RegistryClient } from '../../../src/oci/client.js';
import { makePki, type Pki } from '../../support/pki.js';
import { tempDir } from '../oci/helpers.js';

const credentials = { username: 'alice', password: 's3cret' };
const closers: (() => Promise<void>)[] = [];
after(async () => { for (const c of closers.splice(0)) await c(); });

interface Recorder { port: number; authorizations: (string | undefined)[] }

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, tls?: { key: Buffer; cert: Buffer }): Promise<Recorder> {
  const rec: Recorder = { port: 0, authorizations: [] };
  const h = (req: IncomingMessage, res: ServerResponse): void => { rec.authorizations.push(req.headers.authorization); handler(req, res); };
  const server = tls ? createHttpsServer(tls, h) : createServer(h);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rec.port = (server.address() as AddressInfo).port;
  closers.push(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return rec;
}

let pki: Pki | undefined;
async function httpsRegistry(realm: (tokenPort: number) => string): Promise<{ registry: Recorder; token: Recorder; transport: HttpTransport }> {
  if (pki === undefined) {
    const { dir, cleanup } = await tempDir('vouch-cred-pki-');
    closers.push(cleanup);
    pki = await makePki(dir);
  }
  const token = await listen((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t0k3n"}'); });
  const registry = await listen((req, res) => {
    if (req.headers.authorization === 'Bearer t0k3n') { res.writeHead(200).end('{}'); return; }
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm(token.port)}",service="registry"` }).end();
  }, { key: await pki.read('server.key'), cert: await pki.read('server.crt') });
  const transport = new HttpTransport({ tls: { ca: [await pki.read('ca.crt')] }, credentials, retries: 0 });
  closers.push(() => transport.close());
  return { registry, token, transport };
}

test('an https registry that names a plain-http token realm does not get the credentials sent there', async () => {
  // ::ffff:127.0.0.1 is the loopback server under a name that is not a loopback name
  const { registry, token, transport } = await httpsRegistry((port) => `http://[::ffff:127.0.0.1]:${port}/token`);
  await assert.rejects(transport.request('GET', `https://127.0.0.1:${registry.port}/v2/`), (e) =>
    isVouchError(e, 'UNAUTHORIZED') && /over plain http: the credentials are not sent there/.test(e.message));
  assert.deepEqual(token.authorizations, [], 'the realm was not even asked');
});

test('a plain-http token realm on a loopback name still gets them (a local token server)', async () => {
  const { registry, token, transport } = await httpsRegistry((port) => `http://127.0.0.1:${port}/token`);
  const res = await transport.request('GET', `https://127.0.0.1:${registry.port}/v2/`);
  assert.equal(res.status, 200);
  assert.deepEqual(token.authorizations, [`Basic ${Buffer.from('alice:s3cret').toString('base64')}`]);
});

test('a Basic challenge from another origin (a tags page linked there) gets no password', async () => {
  const elsewhere = await listen((_req, res) => { res.writeHead(401, { 'www-authenticate': 'Basic realm="elsewhere"' }).end(); });
  const home = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', link: `<http://127.0.0.1:${elsewhere.port}/v2/app/tags/list?last=a>; rel="next"` }).end('{"name":"app","tags":["a"]}');
  });
  const client = new RegistryClient({ registry: `127.0.0.1:${home.port}`, scheme: 'http', transportOptions: { credentials, retries: 0 } });
  closers.push(() => client.close());
  await assert.rejects(client.listTags('app'));
  assert.deepEqual(elsewhere.authorizations, [undefined], 'asked once, without credentials, and the challenge was not answered');
});

test('a Basic challenge from the upload Location\'s other origin gets no password', async () => {
  const elsewhere = await listen((req, res) => {
    req.resume();
    res.writeHead(401, { 'www-authenticate': 'Basic realm="elsewhere"' }).end();
  });
  const home = await listen((req, res) => {
    req.resume();
    if (req.method === 'HEAD') { res.writeHead(404).end(); return; }
    res.writeHead(202, { location: `http://127.0.0.1:${elsewhere.port}/upload/1` }).end();
  });
  const client = new RegistryClient({ registry: `127.0.0.1:${home.port}`, scheme: 'http', transportOptions: { credentials, retries: 0 } });
  closers.push(() => client.close());
  const blob = Buffer.from('layer');
  const { createHash } = await import('node:crypto');
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  await assert.rejects(client.pushBlob('app', { digest, size: blob.byteLength }, blob));
  assert.ok(elsewhere.authorizations.length > 0, 'the upload went to the Location');
  assert.ok(elsewhere.authorizations.every((a) => a === undefined), `no credentials: ${elsewhere.authorizations.join(', ')}`);
});
