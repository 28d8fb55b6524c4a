import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeDemoImage } from '../../../src/cli/demoimage.js';
import { OciLayout, readLayoutBlob } from '../../../src/oci/index.js';

test('the demo image is deterministic and a valid OCI layout', async () => {
  const base = mkdtempSync(join(tmpdir(), 'vouch-demo-'));
  const a = await writeDemoImage(join(base, 'a'), '1.0', 'hello\n');
  const b = await writeDemoImage(join(base, 'b'), '1.0', 'hello\n');
  const c = await writeDemoImage(join(base, 'c'), '1.0', 'other\n');
  assert.equal(a.manifest.digest, b.manifest.digest);
  assert.notEqual(a.manifest.digest, c.manifest.digest);
  const layout = await OciLayout.open(join(base, 'a'));
  assert.equal(layout.resolve('1.0').digest, a.manifest.digest);
  const tar = gunzipSync(await readLayoutBlob(join(base, 'a'), a.layer.digest));
  assert.ok(tar.includes(Buffer.from('hello.txt')));
  assert.ok(tar.includes(Buffer.from('hello\n')));
});
