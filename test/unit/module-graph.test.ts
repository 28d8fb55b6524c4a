// The one-way module graph of docs/architecture.md is enforced by eslint.config.mjs; these cases prove the
// rules fire (a rule that never fires would let the architecture decay silently).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { projectRoot } from '../support/paths.js';

const eslint = new ESLint({ cwd: projectRoot });

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(projectRoot, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

const cases: [string, string, RegExp | null][] = [
  ['src/core/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", /pure: no I\/O/],
  ['src/tuf/x.ts', "import { createServer } from 'node:http';\nexport const x = createServer;\n", /pure: no I\/O/],
  ['src/policy/x.ts', 'export const x = process.env.HOME;\n', /no environment/],
  ['src/tuf/x.ts', 'export const x = Date.now();\n', /no clock/],
  ['src/tuf/x.ts', 'export const x = new Date();\n', /no clock/],
  ['src/core/x.ts', "import { x as y } from '../tuf/index.js';\nexport const x = y;\n", /may not import 'tuf'/],
  ['src/server/x.ts', "import { x as y } from '../client/index.js';\nexport const x = y;\n", /may not import 'client'/],
  ['src/client/x.ts', "import { x as y } from '../server/index.js';\nexport const x = y;\n", /may not import 'server'/],
  ['src/storage/x.ts', "import { x as y } from '../keys/index.js';\nexport const x = y;\n", /may not import 'keys'/],
  ['src/sig/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", /pure: no I\/O/],
  ['src/sig/notation/x.ts', 'export const x = Date.now();\n', /no clock/],
  ['src/sig/x.ts', 'export const x = process.env.HOME;\n', /no environment/],
  ['src/sig/x.ts', "import { x as y } from '../oci/index.js';\nexport const x = y;\n", /may not import 'oci'/],
  ['src/sig/notation/x.ts', "import { x as y } from '../../keys/index.js';\nexport const x = y;\n", /may not import 'keys'/],
  ['src/core/x.ts', "import { x as y } from '../sig/index.js';\nexport const x = y;\n", /may not import 'sig'/],
  ['src/oci/x.ts', "import { x as y } from '../sig/index.js';\nexport const x = y;\n", /may not import 'sig'/],
  ['src/httpd/x.ts', "import { x as y } from '../server/index.js';\nexport const x = y;\n", /may not import 'server'/],
  ['src/registry/x.ts', "import { x as y } from '../server/index.js';\nexport const x = y;\n", /may not import 'server'/],
  ['src/registry/x.ts', "import { x as y } from '../httpd/index.js';\nexport const x = y;\n", null],
  ['src/tuf/x.ts', 'export const x = new Date(0);\n', null],
  ['src/files/x.ts', "import { x as y } from '../keys/index.js';\nexport const x = y;\n", /may not import 'keys'/],
  ['src/keys/x.ts', "import { x as y } from '../files/index.js';\nexport const x = y;\n", null],
  ['src/sig/notation/x.ts', "import { x as y } from '../../core/index.js';\nexport const x = y;\n", null],
  ['src/client/x.ts', "import { x as y } from '../sig/index.js';\nexport const x = y;\n", null],
  ['src/http/x.ts', "import { x as y } from '../oci/index.js';\nexport const x = y;\n", /may not import 'oci'/],
  ['src/http/x.ts', "import { x as y } from '../tuf/index.js';\nexport const x = y;\n", /may not import 'tuf'/],
  ['src/registry/x.ts', "import { x as y } from '../http/index.js';\nexport const x = y;\n", /may not import 'http'/],
  ['src/http/x.ts', "import { x as y } from '../core/index.js';\nimport { request } from 'node:https';\nexport const x = [y, request];\n", null],
  ['src/oci/x.ts', "import { x as y } from '../http/index.js';\nexport const x = y;\n", null],
  ['src/client/x.ts', "import { x as y } from '../http/index.js';\nexport const x = y;\n", null],
  ['src/client/x.ts', "import { x as y } from '../keys/index.js';\nimport { readFileSync } from 'node:fs';\nexport const x = [y, readFileSync];\n", null],
  ['src/cli/x.ts', "import { x as y } from '../server/index.js';\nexport const x = y;\n", null],
  ['src/admission/x.ts', "import { x as y } from '../server/index.js';\nexport const x = y;\n", /may not import 'server'/],
  ['src/admission/x.ts', "import { x as y } from '../client/policy.js';\nexport const x = y;\n", null],
  ['src/client/x.ts', "import { x as y } from '../admission/index.js';\nexport const x = y;\n", /may not import 'admission'/],
  // the OCI format layer (oci/reference.ts, mediatypes.ts, manifest.ts): pure, shared by the client and the registry
  ['src/oci/manifest.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", /pure: no I\/O/],
  ['src/oci/reference.ts', 'export const x = Date.now();\n', /no clock/],
  ['src/oci/mediatypes.ts', "import { x as y } from './client.js';\nexport const x = y;\n", /OCI format layer may import only itself/],
  ['src/oci/manifest.ts', "import { x as y } from '../http/index.js';\nexport const x = y;\n", /OCI format layer may import only 'core'/],
  ['src/oci/manifest.ts', "import { x as y } from './mediatypes.js';\nimport { z } from '../core/index.js';\nexport const x = [y, z];\n", null],
  ['src/registry/x.ts', "import { x as y } from '../oci/client.js';\nexport const x = y;\n", /may import only the OCI format layer/],
  ['src/registry/x.ts', "import { x as y } from '../oci/index.js';\nexport const x = y;\n", /may import only the OCI format layer/],
  ['src/registry/x.ts', "import { x as y } from '../oci/manifest.js';\nexport const x = y;\n", null],
];

for (const [file, code, expected] of cases) {
  test(`module graph: ${file} ${expected ? 'rejects' : 'allows'} ${code.split('\n')[0]}`, async () => {
    const found = await problems(file, code);
    if (expected) assert.ok(found.some((p) => expected.test(p)), `expected ${expected} in ${JSON.stringify(found)}`);
    else assert.deepEqual(found.filter((p) => /restricted/.test(p)), []);
  });
}
