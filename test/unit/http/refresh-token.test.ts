// docker's identity token (config.json `identitytoken`, or a credential helper's `<token>`) is an
// OAuth2 refresh token: it is POSTed to the realm as a form (grant_type=refresh_token), never sent
// as Basic credentials, and the access token that comes back opens the repository.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTransport } from '../../../src/http/index.js';

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => { handler(req, res, body); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

test('an identity token is exchanged with grant_type=refresh_token for an access token', async () => {
  const seen: { method: string; authorization: string | undefined; contentType: string | undefined; form: URLSearchParams }[] = [];
  const auth = await serve((req, res, body) => {
    const form = new URLSearchParams(body);
    seen.push({ method: req.method ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], form });
    if (req.method !== 'POST' || form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== 'refresh-me') {
      res.statusCode = 401;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ access_token: 'access-1', expires_in: 300 }));
  });
  const api = await serve((req, res) => {
    if (req.headers.authorization !== 'Bearer access-1') {
      res.statusCode = 401;
      res.setHeader('www-authenticate', `Bearer realm="${auth.url}/token",service="registry.example.com",scope="repository:team/app:pull"`);
      res.end();
      return;
    }
    res.end('manifest');
  });
  after(async () => { await auth.close(); await api.close(); });
  const t = new HttpTransport({ credentials: { identityToken: 'refresh-me' } });
  const r = await t.request('GET', `${api.url}/v2/team/app/manifests/1.0`);
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'manifest');
  assert.equal(seen.length, 1);
  const [ask] = seen;
  assert.equal(ask?.method, 'POST');
  assert.equal(ask?.authorization, undefined, 'the refresh token is never sent as Basic credentials');
  assert.equal(ask?.contentType, 'application/x-www-form-urlencoded');
  assert.equal(ask?.form.get('service'), 'registry.example.com');
  assert.equal(ask?.form.get('scope'), 'repository:team/app:pull');
  assert.equal(ask?.form.get('client_id'), 'vouch');
  await t.close();
});
