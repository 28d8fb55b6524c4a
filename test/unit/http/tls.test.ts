// The TLS trust of a client (src/http/tls.ts): docker's union of the system roots and the host's
// configured CAs, built from documented Node APIs only; the system roots are parsed only when a
// server's chain needs them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { HttpTransport } from '../../../src/http/index.js';
import { isVouchError } from '../../../src/core/index.js';
import { makePki, type Pki } from '../../support/pki.js';

let dir: string;
let serverPki: Pki;
let otherPki: Pki;
let server: Server;
let port: number;
const requests: string[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vouch-tls-'));
  serverPki = await makePki(join(dir, 'server'));
  otherPki = await makePki(join(dir, 'other'));
  server = createServer({ key: await serverPki.read('server.key'), cert: await serverPki.read('server.crt') }, (req, res) => {
    requests.push(`${req.url} ${req.headers.authorization ?? '-'}`);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** System roots that count how often they are asked for. */
function roots(certs: Buffer[]): { calls: number; systemRoots: () => Buffer[] } {
  const r = { calls: 0, systemRoots: (): Buffer[] => { r.calls++; return certs; } };
  return r;
}

test('a server under a configured CA is trusted without the system roots being parsed', async () => {
  const system = roots([]);
  const t = new HttpTransport({ retries: 0, tls: { ca: [await serverPki.read('ca.crt')], systemRoots: system.systemRoots } });
  try {
    for (let i = 0; i < 2; i++) assert.equal((await t.request('GET', `https://127.0.0.1:${port}/v2/`)).body.toString(), 'ok');
    assert.equal(system.calls, 0);
  } finally {
    await t.close();
  }
});

test('the system roots are trusted beside the configured CAs: the failed handshake sent nothing, the request went once', async () => {
  requests.length = 0;
  const system = roots([await serverPki.read('ca.crt')]);
  const t = new HttpTransport({ retries: 0, tls: { ca: [await otherPki.read('ca.crt')], systemRoots: system.systemRoots } });
  try {
    assert.equal((await t.request('GET', `https://127.0.0.1:${port}/v2/a`)).body.toString(), 'ok');
    assert.equal((await t.request('GET', `https://127.0.0.1:${port}/v2/b`)).body.toString(), 'ok');
    assert.equal(system.calls, 1, 'the wider context is made once per client');
    assert.deepEqual(requests, ['/v2/a -', '/v2/b -']);
  } finally {
    await t.close();
  }
});

test('a chain that neither the configured CAs nor the system roots hold is refused, and nothing is sent', async () => {
  requests.length = 0;
  const system = roots([await otherPki.read('ca.crt')]);
  const t = new HttpTransport({ retries: 2, sleep: async () => {}, tls: { ca: [await otherPki.read('ca.crt')], systemRoots: system.systemRoots } });
  try {
    await assert.rejects(t.request('GET', `https://127.0.0.1:${port}/v2/`), (e) => isVouchError(e, 'NETWORK') && /issuer|certificate/i.test(e.message));
    assert.equal(system.calls, 1);
    assert.deepEqual(requests, []);
  } finally {
    await t.close();
  }
});

test('a certificate for another name is refused without widening the trust', async () => {
  const system = roots([await serverPki.read('ca.crt')]);
  const t = new HttpTransport({ retries: 0, tls: { ca: [await serverPki.read('ca.crt')], systemRoots: system.systemRoots } });
  try {
    // the server's certificate names 127.0.0.1 only
    await assert.rejects(t.request('GET', `https://localhost:${port}/v2/`), (e) => isVouchError(e, 'NETWORK') && /altnames|localhost/i.test(e.message));
    assert.equal(system.calls, 0);
  } finally {
    await t.close();
  }
});
