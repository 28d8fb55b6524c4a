import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatInspectJson, formatInspectPretty } from '../../../src/cli/render/inspect.js';
import { trustRepo, type InspectSource } from '../../../src/client/inspect.js';
import { tabwrite } from '../../../src/client/textutil.js';
import { naturalCompare, naturalKey, naturalLess, signedTagRows } from '../../../src/tuf/index.js';

const hex = (s: string): string => Buffer.from(s).toString('hex');

// The repository of docker/cli's inspect golden files (docker/cli cli/command/trust/inspect.go, inspect_pretty.go).
const source: InspectSource = {
  targets: [
    { role: 'targets/releases', tag: 'red', sha256: hex('red-digest') },
    { role: 'targets/releases', tag: 'blue', sha256: hex('blue-digest') },
    { role: 'targets', tag: 'green', sha256: hex('green-digest') },
    { role: 'targets/alice', tag: 'red', sha256: hex('red-digest') },
    { role: 'targets/bob', tag: 'red', sha256: hex('red-digest') },
    { role: 'targets/alice', tag: 'blue', sha256: hex('blue-digest') },
    { role: 'targets/alice', tag: 'unreleased', sha256: hex('x') },
  ],
  delegations: [
    { name: 'targets/releases', keyIds: ['A', 'B'] },
    { name: 'targets/alice', keyIds: ['A'] },
    { name: 'targets/bob', keyIds: ['B'] },
  ],
  rootKeyIds: ['rootID'],
  targetsKeyIds: ['targetsID'],
};

test('inspect JSON matches docker: released tags only, signers, admin keys, indentation', () => {
  const want = `[
    {
        "Name": "signed-repo",
        "SignedTags": [
            {
                "SignedTag": "blue",
                "Digest": "626c75652d646967657374",
                "Signers": [
                    "alice"
                ]
            },
            {
                "SignedTag": "green",
                "Digest": "677265656e2d646967657374",
                "Signers": [
                    "Repo Admin"
                ]
            },
            {
                "SignedTag": "red",
                "Digest": "7265642d646967657374",
                "Signers": [
                    "alice",
                    "bob"
                ]
            }
        ],
        "Signers": [
            {
                "Name": "bob",
                "Keys": [
                    {
                        "ID": "B"
                    }
                ]
            },
            {
                "Name": "alice",
                "Keys": [
                    {
                        "ID": "A"
                    }
                ]
            }
        ],
        "AdministrativeKeys": [
            {
                "Name": "Root",
                "Keys": [
                    {
                        "ID": "rootID"
                    }
                ]
            },
            {
                "Name": "Repository",
                "Keys": [
                    {
                        "ID": "targetsID"
                    }
                ]
            }
        ]
    }
]
`;
  assert.equal(formatInspectJson([trustRepo('signed-repo', source)]), want);
});

test('inspect --pretty matches docker layout', () => {
  const want = `
Signatures for signed-repo

SIGNED TAG   DIGEST                     SIGNERS
blue         626c75652d646967657374     alice
green        677265656e2d646967657374   (Repo Admin)
red          7265642d646967657374       alice, bob

List of signers and their keys for signed-repo

SIGNER    KEYS
alice     A
bob       B

Administrative keys for signed-repo

  Repository Key:\ttargetsID
  Root Key:\trootID
`;
  assert.equal(formatInspectPretty('signed-repo', source), want);
});

test('inspect of an empty repository and of one tag', () => {
  const empty: InspectSource = { targets: [], delegations: [], rootKeyIds: ['r'], targetsKeyIds: ['t'] };
  assert.equal(formatInspectPretty('repo', empty), '\nNo signatures for repo\n\n\nAdministrative keys for repo\n\n  Repository Key:\tt\n  Root Key:\tr\n');
  const one = trustRepo('signed-repo:red', source, 'red');
  assert.deepEqual(one.SignedTags.map((r) => r.SignedTag), ['red']);
  assert.deepEqual(trustRepo('r', empty).SignedTags, []);
  assert.deepEqual(trustRepo('r', empty).Signers, []);
});

test('natural order: numbers by value, digits before letters', () => {
  const sorted = ['v10', 'v2', 'v1.10', 'v1.9', 'latest', '1.0', '01.0', 'a', 'A', 'v002'].sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
  assert.deepEqual(sorted, ['1.0', '01.0', 'A', 'a', 'latest', 'v1.9', 'v1.10', 'v2', 'v002', 'v10']);
});

test('tabwriter: column blocks, minwidth, trailing text not padded', () => {
  assert.equal(tabwrite('a\tb\tc\nlonger cell\tx\ty\n', 10, 3), 'a             b         c\nlonger cell   x         y\n');
  assert.equal(tabwrite('no tabs here\n', 10, 3), 'no tabs here\n');
});

test('natural order keys agree with naturalLess wherever they are defined', () => {
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const parts = ['0', '1', '2', '9', '10', '99', '100', '007', '00', 'v', 'a', 'Z', '.', '-', '_', 'rc', ''];
  const strs = Array.from({ length: 600 }, () => Array.from({ length: 1 + rnd(5) }, () => parts[rnd(parts.length)]).join(''));
  strs.push('0', '00', 'v0', 'v00', 'v1.0', 'v1.00', '1.0', '01.0', 'latest');
  const keyed = strs.filter((s) => naturalKey(s) !== undefined);
  assert.ok(keyed.length > 200 && keyed.length < strs.length, `${keyed.length} of ${strs.length} have keys`);
  for (const a of keyed) {
    for (const b of keyed.slice(0, 150)) {
      const ka = naturalKey(a)!;
      const kb = naturalKey(b)!;
      assert.equal(Math.sign(ka < kb ? -1 : ka > kb ? 1 : 0), Math.sign(naturalCompare(a, b)), `${a} vs ${b}`);
    }
  }
  for (const padded of ['007', 'v01', 'a00b', 'é1', ' 1']) assert.equal(naturalKey(padded), undefined, padded);
  // rows sort the same with keys and, when some tag has none, with naturalLess
  for (const tags of [[...new Set(keyed)].slice(0, 80), [...[...new Set(keyed)].slice(0, 80), '007', 'v01']]) {
    const rows = signedTagRows(tags.map((tag, i) => ({ role: 'targets/releases', tag, sha256: String(i) })));
    assert.deepEqual(rows.map((r) => r.tag), [...tags].sort(naturalCompare));
  }
});

test('rows match a signer on the digest', () => {
  const rows = signedTagRows([
    { role: 'targets/releases', tag: 'a', sha256: 'aa' },
    { role: 'targets/releases', tag: 'b', sha256: 'bb' },
    { role: 'targets/alice', tag: 'a', sha256: 'aa' },
    { role: 'targets/bob', tag: 'a', sha256: 'aa' },
    { role: 'targets/carol', tag: 'a', sha256: 'aa' },
    { role: 'targets/dave', tag: 'b', sha256: 'cc' },
  ]);
  assert.deepEqual(rows.map((r) => [r.tag, r.digest, r.signers]), [['a', 'aa', ['alice', 'bob', 'carol']], ['b', 'bb', []]]);
});
