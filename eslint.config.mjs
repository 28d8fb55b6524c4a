// Lint: typescript-eslint recommended, plus the module graph of docs/architecture.md as import rules.
// Each module may import only the modules listed for it; pure modules may not touch I/O,
// the environment or the clock.
import tseslint from 'typescript-eslint';

const modules = ['core', 'tuf', 'policy', 'sig', 'files', 'keys', 'http', 'oci', 'storage', 'httpd', 'client', 'server', 'registry', 'cli'];
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
  cli: modules,
};
const pure = ['core', 'tuf', 'policy', 'sig'];
const ioModules = ['fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'tls', 'dgram', 'dns', 'child_process', 'cluster', 'worker_threads', 'os', 'process', 'readline']
  .flatMap((m) => [`node:${m}`, m]);

const forModule = (name) => {
  const forbidden = modules.filter((m) => m !== name && !allowed[name].includes(m));
  const patterns = forbidden.map((m) => ({ group: [`../${m}`, `../${m}/*`, `../../${m}/*`], message: `module '${name}' may not import '${m}' (docs/architecture.md)` }));
  const paths = pure.includes(name) ? ioModules.map((n) => ({ name: n, message: `'${name}' is pure: no I/O (docs/architecture.md)` })) : [];
  const rules = { 'no-restricted-imports': ['error', { patterns, paths }] };
  if (pure.includes(name)) {
    rules['no-restricted-globals'] = ['error', { name: 'process', message: 'pure modules read no environment' }, { name: 'fetch', message: 'pure modules do no I/O' }];
    rules['no-restricted-syntax'] = ['error',
      { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'pure modules read no clock: take `now` as a parameter' },
      { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'pure modules read no clock: take `now` as a parameter' },
      { selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: 'pure modules read no clock' },
      { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'pure modules take randomness as a parameter' },
    ];
  }
  return { files: [`src/${name}/**/*.ts`], rules };
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
);
