// Threshold counting (notary tuf/signed/verifiers.go), table-driven over generated keys of every kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublicKeyData } from '../../../src/core/index.js';
import { Metadata, signMetadata, verifySignatures, type KeyRole, type Signature } from '../../../src/tuf/index.js';
import { TestKey } from '../../support/simulator.js';

const doc = (): Metadata => Metadata.from('targets', {
  _type: 'Targets', delegations: { keys: {}, roles: [] }, expires: '2029-11-24T13:15:49Z', targets: {}, version: 1,
});

const roleOf = (keys: TestKey[], threshold: number, extra: [string, PublicKeyData][] = []): KeyRole => ({
  name: 'targets',
  keyids: [...keys.map((k) => k.keyId), ...extra.map(([id]) => id)],
  keys: new Map([...keys.map((k) => [k.keyId, k.publicKey] as [string, PublicKeyData]), ...extra]),
  threshold,
});

test('threshold counting', async () => {
  const [a, b, c] = [TestKey.generate('ecdsa'), TestKey.generate('ed25519'), TestKey.generate('rsa')];
  const outsider = TestKey.generate();
  const signed = async (...signers: TestKey[]): Promise<Metadata> => signMetadata(doc(), signers);
  type Case = [string, Metadata, KeyRole, number | string];
  const ab = await signed(a, b);
  const cases: Case[] = [
    ['ecdsa 1 of 1', await signed(a), roleOf([a], 1), 1],
    ['ed25519 1 of 1', await signed(b), roleOf([b], 1), 1],
    ['rsa-pss 1 of 1', await signed(c), roleOf([c], 1), 1],
    ['2 of 3, threshold 2', ab, roleOf([a, b, c], 2), 2],
    ['3 of 3, threshold 3', await signed(a, b, c), roleOf([a, b, c], 3), 3],
    ['2 of 3, threshold 3', ab, roleOf([a, b, c], 3), 'THRESHOLD_NOT_MET'],
    ['an outsider signature is ignored', await signed(outsider, a), roleOf([a], 1), 1],
    ['only an outsider signed', await signed(outsider), roleOf([a], 1), 'THRESHOLD_NOT_MET'],
    ['no signatures', doc(), roleOf([a], 1), 'NO_SIGNATURES'],
    ['threshold 0', ab, roleOf([a, b], 0), 'INVALID_THRESHOLD'],
    ['threshold -1', ab, roleOf([a, b], -1), 'INVALID_THRESHOLD'],
    ['repeated signature', ab.withSignatures([ab.signatures[0]!, ab.signatures[0]!]), roleOf([a, b], 2), 'THRESHOLD_NOT_MET'],
    ['key listed under another ID', await signed(a), { ...roleOf([a], 1), keyids: ['f'.repeat(64)], keys: new Map([['f'.repeat(64), a.publicKey]]) }, 'KEYID_MISMATCH'],
    ['a signature by b presented as a\'s', ab.withSignatures([{ ...ab.signatures[1]!, keyid: a.keyId }]), roleOf([a, b], 1), 'THRESHOLD_NOT_MET'],
  ];
  for (const [what, md, role, want] of cases) {
    if (typeof want === 'number') assert.equal(verifySignatures(md, role).validKeyIds.length, want, what);
    else assert.throws(() => verifySignatures(md, role), { code: want }, what);
  }
});

test('the same key listed as ecdsa and as ecdsa-x509 counts once', async () => {
  const a = TestKey.generate();
  const ax = await a.withNewCertificate('example.com/app', new Date('2026-11-25T00:00:00Z'));
  const md = await signMetadata(doc(), [a, ax]);
  assert.equal(verifySignatures(md, roleOf([a, ax], 1)).validKeyIds.length, 1);
  assert.throws(() => verifySignatures(md, roleOf([a, ax], 2)), { code: 'THRESHOLD_NOT_MET', details: { role: 'targets', threshold: 2, valid: 1, rejected: [] } } as object);
});

test('a signature whose method does not fit the key type is not counted, whatever the case', async () => {
  const a = TestKey.generate('ecdsa');
  const md = await signMetadata(doc(), [a]);
  const sig = md.signatures[0]!;
  const cases: [string, number | string][] = [['ecdsa', 1], ['ECDSA', 1], ['eddsa', 'METHOD_MISMATCH'], ['rsapss', 'METHOD_MISMATCH'], ['', 'METHOD_MISMATCH']];
  for (const [method, want] of cases) {
    const m = md.withSignatures([{ ...sig, method } as Signature]);
    if (typeof want === 'number') assert.equal(verifySignatures(m, roleOf([a], 1)).validKeyIds.length, want, method);
    else {
      assert.throws(() => verifySignatures(m, roleOf([a], 1)), (err: { code: string; details: { rejected: { reason: string }[] } }) => {
        assert.equal(err.code, 'THRESHOLD_NOT_MET');
        assert.deepEqual(err.details.rejected.map((r) => r.reason), [want]);
        return true;
      }, method);
    }
  }
});
