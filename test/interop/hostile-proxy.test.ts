// The real notary-server behind a malicious proxy (test/support/proxy.ts): what the network can do
// to `vouch trust inspect` once the client has trusted the repository. Every bad answer (endless,
// dripped, truncated, garbage, mis-signed, an error with terminal escapes) is an error that names
// the role and the check; only an unreachable server lets the cached data stand in, with docker's
// warning. A missing peer is a failure, never a skip.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { startPeers, type Peers } from '../support/peers.js';
import { startTamperingProxy, type TamperingProxy } from '../support/proxy.js';
import { drip, endless } from '../support/hostile.js';
import { removeTempDirs, vouchUser, type VouchUser } from '../unit/client/helpers.js';

const GUN = 'registry.example.com/hostile/app';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const TIMESTAMP = /\/_trust\/tuf\/timestamp\.json$/;

let peers: Peers;
let proxy: TamperingProxy;
let reader: VouchUser;

before(async () => {
  peers = await startPeers({ notary: true });
  const writer = await vouchUser(peers.notaryUrl as string, { ca: peers.ca });
  await writer.ok(['trust', 'sign', `${GUN}:1.0`, '--digest', DIGEST, '--size', '123']);
  proxy = await startTamperingProxy(peers.notaryUrl as string, { ca: await readFile(peers.ca) });
  reader = await vouchUser(proxy.url);
  const first = await reader.ok(['trust', 'inspect', GUN]);
  assert.match(first.stdout, /"SignedTag": "1.0"/);
});

after(async () => {
  await proxy?.close();
  await peers?.stop();
  await removeTempDirs();
});

/** Runs inspect through the proxy with one attack in place, then removes it. */
async function inspectUnder(attack: Partial<Pick<TamperingProxy, 'tamper' | 'answer'>>, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  proxy.tamper = attack.tamper;
  proxy.answer = attack.answer;
  try {
    return await reader.run(['trust', 'inspect', GUN], env);
  } finally {
    proxy.tamper = undefined;
    proxy.answer = undefined;
  }
}

function refused(r: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 1, `exit 1, got ${r.code}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /using cached timestamp/);
  assert.doesNotMatch(r.stdout, /SignedTag/);
}

const answerTimestamp = (fn: (res: ServerResponse) => void) => (path: string, res: ServerResponse): boolean => {
  if (!TIMESTAMP.test(path)) return false;
  fn(res);
  return true;
};

test('proxy: an endless timestamp with a Content-Length of 200 MB is refused (size check)', async () => {
  refused(await inspectUnder({ answer: answerTimestamp((res) => endless(res, { total: 200 * 1024 * 1024, contentLength: 200 * 1024 * 1024 })) }), /timestamp metadata failed the size check/);
});

test('proxy: an endless timestamp without a Content-Length is refused (size check)', async () => {
  refused(await inspectUnder({ answer: answerTimestamp((res) => endless(res, { total: 200 * 1024 * 1024 })) }), /timestamp metadata failed the size check/);
});

test('proxy: a timestamp dripped at 10 bytes/s is cut by the whole-body deadline', { timeout: 60_000 }, async () => {
  const real = await peers.notaryGet(`/v2/${GUN}/_trust/tuf/timestamp.json`);
  refused(await inspectUnder({ answer: answerTimestamp((res) => drip(res, real.body, 100)) }, { VOUCH_TIMEOUT_BODY: '2' }), /timestamp: .*not complete within the deadline/);
});

test('proxy: a truncated timestamp, garbage, and a timestamp with a flipped signature are refused', async () => {
  refused(await inspectUnder({ tamper: (path, body) => (TIMESTAMP.test(path) ? body.subarray(0, body.byteLength - 20) : undefined) }), /timestamp metadata failed the format check/);
  refused(await inspectUnder({ tamper: (path) => (TIMESTAMP.test(path) ? Buffer.from('<html>hello</html>') : undefined) }), /timestamp metadata failed the format check/);
  refused(await inspectUnder({
    tamper: (path, body) => {
      if (!TIMESTAMP.test(path)) return undefined;
      const text = body.toString('utf8');
      const at = text.indexOf('"sig":"') + 7;
      return Buffer.from(text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1));
    },
  }), /timestamp metadata failed the signature threshold check/);
});

test('proxy: an error answer carrying terminal escapes is an error, printed escaped', async () => {
  const r = await inspectUnder({
    answer: answerTimestamp((res) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: '\u001b]0;owned\u0007\u001b[2JVerified OK' }] }));
    }),
  });
  refused(r, /answered HTTP 500 \(UNKNOWN: \\u001b\]0;owned\\u0007\\u001b\[2JVerified OK\)/);
  assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
});

test('proxy: a gateway whose server is down (503): the cached data stands in, with docker\'s warning', async () => {
  const r = await inspectUnder({ answer: answerTimestamp((res) => { res.writeHead(503).end(); }) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Error while downloading remote metadata, using cached timestamp/);
  assert.match(r.stdout, /"SignedTag": "1.0"/);
});
