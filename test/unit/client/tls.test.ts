// TLS material as docker users keep it: $DOCKER_CONFIG/tls/<host:port>/ holds extra CAs (*.crt) and
// a client certificate (*.cert with the matching *.key). A trust server that requires a client
// certificate (mutual TLS) is reached with it, and refused without it; a CA that is not installed
// means the server is not trusted.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeNotary, RepoBuilder } from './fake.js';
import { removeTempDirs, tempDir, vouchUser } from './helpers.js';
import { makePki, type Pki } from '../../support/pki.js';

after(removeTempDirs);

async function pki(): Promise<Pki> {
  return makePki(await tempDir('vouch-pki-'));
}

test('mutual TLS: the client certificate from tls/<host:port>/ is presented; without it, or without the CA, the server is not reached', async () => {
  const p = await pki();
  const gun = 'registry.example.com/tls/app';
  const fake = new FakeNotary(gun);
  await fake.start({ key: await p.read('server.key'), cert: await p.read('server.crt'), ca: await p.read('ca.crt'), requestCert: true, rejectUnauthorized: true });
  try {
    const now = new Date();
    const repo = await RepoBuilder.create(gun, now);
    const digest = repo.sign('1.0', 'tls manifest');
    await repo.publish(fake);
    const host = new URL(fake.url).host;

    const full = await vouchUser(fake.url);
    await mkdir(join(full.config, 'tls', host), { recursive: true });
    await writeFile(join(full.config, 'tls', host, 'ca.crt'), await p.read('ca.crt'));
    await writeFile(join(full.config, 'tls', host, 'client.cert'), await p.read('client.crt'));
    await writeFile(join(full.config, 'tls', host, 'client.key'), await p.read('client.key'));
    const ok = await full.ok(['trust', 'inspect', gun]);
    assert.match(ok.stdout, new RegExp(`"Digest": "${digest}"`));

    const noCert = await vouchUser(fake.url);
    await mkdir(join(noCert.config, 'tls', host), { recursive: true });
    await writeFile(join(noCert.config, 'tls', host, 'ca.crt'), await p.read('ca.crt'));
    const r1 = await noCert.run(['trust', 'inspect', gun]);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /cannot reach/);

    const noCa = await vouchUser(fake.url);
    const r2 = await noCa.run(['trust', 'inspect', gun]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /cannot reach .*(certificate|self.signed|issuer)/i);
    assert.match(r2.stderr, /tls\/<host>\/ca\.crt/);

    const halfPair = await vouchUser(fake.url);
    await mkdir(join(halfPair.config, 'tls', host), { recursive: true });
    await writeFile(join(halfPair.config, 'tls', host, 'client.cert'), await p.read('client.crt'));
    const r3 = await halfPair.run(['trust', 'inspect', gun]);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /no matching key/);
  } finally {
    await fake.stop();
  }
});
