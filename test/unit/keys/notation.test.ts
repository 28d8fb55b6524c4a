// notation's configuration directory as vouch reads it: where it is, which trust policy file wins,
// and trust stores with notation's refusals (symlinks, subdirectories, empty stores).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { notationConfigDir, readNotationTrustPolicy, readNotationTrustStores, resolveNotationSigningKey } from '../../../src/keys/index.js';
import { makeChain } from '../../support/x509.js';

const policy = (name: string): string => JSON.stringify({ version: '1.0', trustPolicies: [{ name, registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:a'], trustedIdentities: ['*'] }] });

test('the config directory is $XDG_CONFIG_HOME/notation, else ~/.config/notation (Go os.UserConfigDir)', () => {
  assert.equal(notationConfigDir({ XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/x/notation');
  assert.equal(notationConfigDir({ HOME: '/h' }), '/h/.config/notation');
});

test('trust policy: trustpolicy.oci.json before trustpolicy.json; an explicit file; symlinks and absence refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vouch-ncfg-'));
  try {
    await assert.rejects(readNotationTrustPolicy(dir), /trust policy is not present/);
    await writeFile(join(dir, 'trustpolicy.json'), policy('legacy'));
    assert.equal((await readNotationTrustPolicy(dir)).policy.trustPolicies[0]?.name, 'legacy');
    await writeFile(join(dir, 'trustpolicy.oci.json'), policy('oci'));
    assert.equal((await readNotationTrustPolicy(dir)).policy.trustPolicies[0]?.name, 'oci');
    assert.equal((await readNotationTrustPolicy(dir, join(dir, 'trustpolicy.json'))).policy.trustPolicies[0]?.name, 'legacy');
    await rm(join(dir, 'trustpolicy.oci.json'));
    await symlink(join(dir, 'trustpolicy.json'), join(dir, 'trustpolicy.oci.json'));
    await assert.rejects(readNotationTrustPolicy(dir), /not a regular file \(symlinks are not supported\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('trust stores: PEM and DER files read; a missing store, a symlinked store, a subdirectory or an empty store is reported, not read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vouch-ncfg-'));
  try {
    const chain = await makeChain('ec-256');
    const store = (name: string): string => join(dir, 'truststore', 'x509', 'ca', name);
    await mkdir(store('pem'), { recursive: true });
    await writeFile(join(store('pem'), 'root.crt'), chain.root.toString('pem') + chain.leaf.toString('pem'));
    await mkdir(store('der'), { recursive: true });
    await writeFile(join(store('der'), 'root.cer'), Buffer.concat([Buffer.from(chain.root.rawData), Buffer.from(chain.leaf.rawData)]));
    await mkdir(join(store('subdir'), 'nested'), { recursive: true });
    await mkdir(store('empty'), { recursive: true });
    await symlink(store('pem'), store('link'));
    const got = await readNotationTrustStores(dir, ['pem', 'der', 'subdir', 'empty', 'link', 'absent'].map((name) => ({ type: 'ca' as const, name })));
    assert.deepEqual(got['ca:pem'], chain.ders.slice().reverse());
    assert.deepEqual(got['ca:der'], chain.ders.slice().reverse());
    assert.match((got['ca:subdir'] as { error: string }).error, /nested .* is not a regular file \(directories or symlinks are not supported\)/);
    assert.match((got['ca:empty'] as { error: string }).error, /no x509 certificates were found in trust store "empty"/);
    assert.match((got['ca:link'] as { error: string }).error, /is not a regular directory \(symlinks are not supported\)/);
    assert.match((got['ca:absent'] as { error: string }).error, /the trust store "absent" of type "ca" does not exist/);
    await writeFile(join(store('pem'), 'junk.crt'), 'not a certificate');
    const junk = await readNotationTrustStores(dir, [{ type: 'ca', name: 'pem' }]);
    assert.match((junk['ca:pem'] as { error: string }).error, /junk\.crt .*neither PEM nor DER/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("signing keys from notation's signingkeys.json: by name, the default, plugin keys, and notation's errors", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vouch-ncfg-'));
  try {
    await assert.rejects(resolveNotationSigningKey(dir), /default signing key not set/);
    await writeFile(join(dir, 'signingkeys.json'), JSON.stringify({
      default: 'b',
      keys: [{ name: 'a', keyPath: '/k/a.key', certPath: '/k/a.crt' }, { name: 'b', keyPath: 'rel/b.key', certPath: 'rel/b.crt' }, { name: 'kms', id: 'arn:x', pluginName: 'com.example.kms', pluginConfig: { region: 'eu' } },
        { name: 'nokeyid', pluginName: 'com.example.kms' }],
    }));
    assert.deepEqual(await resolveNotationSigningKey(dir, 'a'), { name: 'a', keyPath: '/k/a.key', certPath: '/k/a.crt' });
    assert.deepEqual(await resolveNotationSigningKey(dir), { name: 'b', keyPath: join(dir, 'rel/b.key'), certPath: join(dir, 'rel/b.crt') });
    await assert.rejects(resolveNotationSigningKey(dir, 'zzz'), /signing key zzz not found/);
    assert.deepEqual(await resolveNotationSigningKey(dir, 'kms'), { name: 'kms', plugin: 'com.example.kms', keyId: 'arn:x', pluginConfig: { region: 'eu' } });
    await assert.rejects(resolveNotationSigningKey(dir, 'nokeyid'), /held by the plugin com\.example\.kms but has no key "id"/);
    // a pluginConfig that is not a string map makes the whole file unreadable, as Go's decoder refuses it (notation-go config.LoadSigningKeys)
    await writeFile(join(dir, 'signingkeys.json'), JSON.stringify({ keys: [{ name: 'a', keyPath: '/k/a.key', certPath: '/k/a.crt' }, { name: 'badcfg', id: 'k', pluginName: 'p', pluginConfig: { n: 1 } }] }));
    await assert.rejects(resolveNotationSigningKey(dir, 'badcfg'), /pluginConfig of key 'badcfg' is not a map of strings/);
    await assert.rejects(resolveNotationSigningKey(dir, 'a'), /pluginConfig of key 'badcfg' is not a map of strings/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
