// TLS material as docker users keep it: $DOCKER_CONFIG/tls/<host:port>/ holds extra CAs (*.crt) and
// a client certificate (*.cert with the matching *.key). A trust server that requires a client
// certificate (mutual TLS) is reached with it, and refused without it; a CA that is not installed
// means the server is not trusted.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeNotary, RepoBuilder } from './fake.js';
import { removeTempDirs, tempDir, vouchUser } from './helpers.js';

after(removeTempDirs);

async function pki(): Promise<{ dir: string; read: (f: string) => Promise<Buffer> }> {
  const dir = await tempDir('vouch-pki-');
  const ossl = (args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }); };
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  ossl(['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '30', '-out', 'ca.crt', '-subj', '/CN=TLS Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'], ['client', 'extendedKeyUsage=clientAuth\n']] as const) {
    ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.ec`]);
    ossl(['pkcs8', '-topk8', '-nocrypt', '-in', `${name}.ec`, '-out', `${name}.key`]);
    ossl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
    await writeFile(join(dir, `${name}.ext`), `basicConstraints=critical,CA:FALSE\n${ext}`);
    ossl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
  }
  return { dir, read: (f) => readFile(join(dir, f)) };
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
