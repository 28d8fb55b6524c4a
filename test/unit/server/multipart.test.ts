import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MultipartError, formDataBoundary, parseMediaType, parseMultipart } from '../../../src/server/multipart.js';
import { parseUpload, signedMetaVersion } from '../../../src/server/upload.js';
import type { NotaryHttpError } from '../../../src/server/errors.js';
import { isValidRoleName } from '../../../src/tuf/index.js';
import { multipart } from './helpers.js';

test('media type parsing: quoted values, escapes, RFC 2231, duplicates refused', () => {
  assert.deepEqual(parseMediaType('multipart/form-data; boundary=abc'), { type: 'multipart/form-data', params: { boundary: 'abc' } });
  assert.deepEqual(parseMediaType('form-data; name="files"; filename="targets/releases"')?.params, { name: 'files', filename: 'targets/releases' });
  assert.equal(parseMediaType('form-data; filename="a\\"b"')?.params['filename'], 'a"b');
  assert.equal(parseMediaType("form-data; filename*=UTF-8''targets%2Fx")?.params['filename'], 'targets/x');
  assert.equal(parseMediaType('form-data; filename="unterminated'), undefined);
  assert.equal(parseMediaType('form-data; a=1; a=2'), undefined);
  assert.equal(parseMediaType(''), undefined);
});

test('boundary: only multipart/form-data with a boundary', () => {
  assert.equal(formDataBoundary('multipart/form-data; boundary=XX'), 'XX');
  assert.equal(formDataBoundary('Multipart/Form-Data; boundary="a b"'), 'a b');
  for (const bad of [undefined, '', 'application/json', 'multipart/mixed; boundary=x', 'multipart/form-data', `multipart/form-data; boundary=${'x'.repeat(71)}`]) {
    assert.throws(() => formDataBoundary(bad), MultipartError, String(bad));
  }
});

test('parts keep the filename verbatim (no base name), bytes exact, CRLF and LF', () => {
  const body = '{"signed":{}}\r\nwith a line break';
  const mp = multipart([{ filename: 'targets/releases', data: body }, { filename: 'root.json', data: '{}' }, { data: 'x', name: 'other' }]);
  const parts = parseMultipart(mp.body, formDataBoundary(mp.contentType));
  assert.equal(parts.length, 3);
  assert.equal(parts[0]!.filename, 'targets/releases');
  assert.equal(parts[0]!.data.toString(), body);
  assert.equal(parts[1]!.filename, 'root.json');
  assert.equal(parts[2]!.filename, '');
  assert.equal(parts[2]!.name, 'other');
  const lf = Buffer.from('preamble\n--B\nContent-Disposition: form-data; name="f"; filename="root"\n\n{}\n--B--\n');
  assert.deepEqual(parseMultipart(lf, 'B').map((p) => [p.filename, p.data.toString()]), [['root', '{}']]);
  assert.deepEqual(parseMultipart(Buffer.from('--B--\r\n'), 'B'), []);
});

test('malformed multipart bodies are MultipartErrors, never crashes', () => {
  const cases = [
    'garbage',
    '',
    '--B\r\nContent-Disposition: form-data; name="f"\r\n\r\n{"signed":{"ver',
    '--B\r\nContent-Disposition: form-data; name="f"',
    '--Bxyz\r\n',
    '--B\r\nno colon header\r\n\r\nx\r\n--B--',
    '--B garbage\r\n',
  ];
  for (const c of cases) assert.throws(() => parseMultipart(Buffer.from(c), 'B'), MultipartError, JSON.stringify(c));
  // random bytes
  for (let i = 0; i < 200; i++) {
    const junk = Buffer.from(Array.from({ length: 64 }, (_, j) => (i * 31 + j * 17) % 256));
    try {
      parseMultipart(Buffer.concat([Buffer.from('--B\r\n'), junk]), 'B');
    } catch (e) {
      assert.ok(e instanceof MultipartError);
    }
  }
  assert.throws(() => parseMultipart(multipart([{ filename: 'a', data: 'x' }, { filename: 'b', data: 'y' }], 'B').body, 'B', { maxParts: 1, maxPartBytes: 10, maxHeaderBytes: 1000 }), /more than 1 parts/);
  assert.throws(() => parseMultipart(multipart([{ filename: 'a', data: 'x'.repeat(11) }], 'B').body, 'B', { maxParts: 5, maxPartBytes: 10, maxHeaderBytes: 1000 }), /larger than 10/);
});

test('signedMetaVersion accepts what Go decodes into SignedMeta and refuses the rest', () => {
  const ok: [string, number][] = [
    ['{}', 0], ['null', 0], ['{"signed":null}', 0], ['{"signed":{"version":3}}', 3],
    ['{"Signed":{"Version":4}}', 4],
    ['{"signed":{"_type":"Targets","expires":"2029-11-24T08:19:02.250071757-05:00","version":2},"signatures":[{"keyid":"a","method":"ecdsa","sig":"AAAA"}]}', 2],
    ['{"signatures":[null]}', 0],
  ];
  for (const [s, v] of ok) assert.equal(signedMetaVersion(Buffer.from(s)), v, s);
  const bad = [
    'notjson', '[]', '"x"', '{"signed":[]}', '{"signed":{"version":"1"}}', '{"signed":{"version":1.5}}', '{"signed":{"_type":3}}',
    '{"signed":{"expires":"tomorrow"}}', '{"signatures":{}}', '{"signatures":[1]}', '{"signatures":[{"sig":"!!"}]}', '{"signatures":[{"keyid":1}]}',
    '\ufeff{}',
  ];
  for (const s of bad) assert.equal(signedMetaVersion(Buffer.from(s)), undefined, s);
});

test('parseUpload: NO_FILENAME, INVALID_ROLE (with .json stripped), MALFORMED_JSON, later duplicate wins', () => {
  const mk = (filename: string, data = '{"signed":{"version":1}}') => ({ name: 'files', filename, data: Buffer.from(data) });
  const code = (f: () => unknown) => { try { f(); } catch (e) { return [(e as NotaryHttpError).code, (e as NotaryHttpError).detail]; } return undefined; };
  assert.deepEqual(code(() => parseUpload([mk('')], isValidRoleName)), ['NO_FILENAME', undefined]);
  assert.deepEqual(code(() => parseUpload([mk('foo')], isValidRoleName)), ['INVALID_ROLE', 'foo']);
  assert.deepEqual(code(() => parseUpload([mk('x.json')], isValidRoleName)), ['INVALID_ROLE', 'x']);
  assert.deepEqual(code(() => parseUpload([mk('targets/Bad')], isValidRoleName)), ['INVALID_ROLE', 'targets/Bad']);
  assert.deepEqual(code(() => parseUpload([mk('targets/../root')], isValidRoleName)), ['INVALID_ROLE', 'targets/../root']);
  assert.deepEqual(code(() => parseUpload([mk('../../etc/passwd')], isValidRoleName)), ['INVALID_ROLE', '../../etc/passwd']);
  assert.deepEqual(code(() => parseUpload([mk('targets//a')], isValidRoleName)), ['INVALID_ROLE', 'targets//a']);
  assert.deepEqual(code(() => parseUpload([mk('root', 'nope')], isValidRoleName)), ['MALFORMED_JSON', undefined]);
  // checks run part by part: an invalid role before bad JSON reports the role
  assert.deepEqual(code(() => parseUpload([mk('bogus'), mk('root', 'nope')], isValidRoleName)), ['INVALID_ROLE', 'bogus']);
  assert.deepEqual(code(() => parseUpload([mk('root', 'nope'), mk('bogus')], isValidRoleName)), ['MALFORMED_JSON', undefined]);
  const m = parseUpload([mk('targets.json', '{"signed":{"version":1}}'), mk('targets', '{"signed":{"version":2}}'), mk('timestamp')], isValidRoleName);
  assert.deepEqual([...m.keys()], ['targets', 'timestamp']);
  assert.equal(m.get('targets')!.version, 2);
});
