// Lint: typescript-eslint recommended, plus the module graph of docs/architecture.md as import rules.
// Each module may import only the modules listed for it; pure modules may not touch I/O,
// the environment or the clock.
import tseslint from 'typescript-eslint';

const modules = ['core', 'tuf', 'policy', 'sig', 'files', 'keys', 'http', 'oci', 'storage', 'httpd', 'client', 'server', 'registry', 'admission', 'cli'];
const allowed = {
  core: [],
  tuf: ['core'],
  policy: ['core'],
  sig: ['core'],
  files: ['core'],
  keys: ['core', 'tuf', 'sig', 'files'],
  http: ['core'],
  oci: ['core', 'http', 'files'],
  storage: ['core', 'tuf', 'files'],
  httpd: ['core'],
  client: ['core', 'tuf', 'policy', 'sig', 'files', 'keys', 'http', 'oci'],
  server: ['core', 'tuf', 'storage', 'httpd', 'files'],
  registry: ['core', 'oci', 'httpd', 'files'],
  admission: ['core', 'tuf', 'policy', 'keys', 'oci', 'client', 'httpd'],
  cli: modules,
};
const pure = ['core', 'tuf', 'policy', 'sig'];
// The OCI format layer: the pure files of `oci` (reference grammar, media types, manifest parsing)
// that the client and the registry share. They import only `core` and each other, and the
// registry may import nothing else of `oci` (it is a server, not a distribution client).
const ociFormat = ['reference', 'mediatypes', 'manifest'];
const ioModules = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'dns', 'child_process', 'cluster', 'worker_threads', 'os', 'process', 'readline']
  .flatMap((m) => [`node:${m}`, m]);

const pureRules = {
  'no-restricted-globals': ['error', { name: 'process', message: 'pure modules read no environment' }, { name: 'fetch', message: 'pure modules do no I/O' }],
  'no-restricted-syntax': ['error',
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'pure modules read no clock: take `now` as a parameter' },
    { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'pure modules read no clock: take `now` as a parameter' },
    { selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: 'pure modules read no clock' },
    { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'pure modules take randomness as a parameter' },
  ],
};
const noIo = (name) => ioModules.map((n) => ({ name: n, message: `'${name}' is pure: no I/O (docs/architecture.md)` }));

const forModule = (name) => {
  const forbidden = modules.filter((m) => m !== name && !allowed[name].includes(m));
  const patterns = forbidden.map((m) => ({ group: [`../${m}`, `../${m}/*`, `../../${m}/*`], message: `module '${name}' may not import '${m}' (docs/architecture.md)` }));
  if (name === 'registry') {
    patterns.push({ group: ['../oci/*', ...ociFormat.map((f) => `!../oci/${f}.js`)], message: "module 'registry' may import only the OCI format layer of 'oci' (docs/architecture.md)" });
  }
  const paths = pure.includes(name) ? noIo(name) : [];
  const rules = { 'no-restricted-imports': ['error', { patterns, paths }] };
  if (pure.includes(name)) Object.assign(rules, pureRules);
  return { files: [`src/${name}/**/*.ts`], rules };
};

const ociFormatLayer = {
  files: ociFormat.map((f) => `src/oci/${f}.ts`),
  rules: {
    ...pureRules,
    'no-restricted-imports': ['error', {
      patterns: [
        ...modules.filter((m) => m !== 'core').map((m) => ({ group: [`../${m}`, `../${m}/*`], message: `the OCI format layer may import only 'core' (docs/architecture.md)` })),
        { group: ['./*', ...ociFormat.map((f) => `!./${f}.js`)], message: 'the OCI format layer may import only itself of `oci` (docs/architecture.md)' },
      ],
      paths: noIo('the OCI format layer'),
    }],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bin/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...modules.map(forModule),
  ociFormatLayer,
);
