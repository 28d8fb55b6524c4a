// `vouch pin`: finding references in each file kind, rewriting them byte-exactly, idempotence,
// check mode, and clear errors. References are parsed with src/oci's parseReference, as the CLI
// does, so that these tests also pin down the contract between the two.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { isVouchError } from '../../../src/core/index.js';
import { gunOf, parseReference } from '../../../src/oci/reference.js';
import { MAX_PIN_CHARS, checkPins, detectSyntax, findImageReferences, formatPinProblem, pinProblemsError, pinTag, pinText, referencesToResolve } from '../../../src/policy/pin.js';
import type { PinResolution, PinResolver, PinStatus } from '../../../src/policy/pin.js';
import { fixture } from '../../support/paths.js';

const SIGNED = JSON.parse(readFileSync(fixture('pin', 'signed.json'), 'utf8')) as Record<string, string>;
const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);

/** What the CLI does for each reference: parse it, then look up the signed digest of its tag. */
function lookup(signed: Record<string, string>, ref: string): PinResolution {
  let parsed;
  try {
    parsed = parseReference(ref);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const tag = pinTag(parsed);
  if (tag === undefined) return { parsed };
  const digest = signed[`${gunOf(parsed)}:${tag}`];
  return digest === undefined ? { error: `${gunOf(parsed)}:${tag} has no trust data` } : { parsed, signed: digest };
}
const resolver = (signed: Record<string, string> = SIGNED): PinResolver => (ref) => lookup(signed, ref);

const read = (dir: 'in' | 'out', name: string): string => readFileSync(fixture('pin', dir, name), 'utf8');
const FIXTURES = readdirSync(fixture('pin', 'in')).sort();
const lines = (...l: string[]): string => l.join('\n') + '\n';

// ---- finding references ------------------------------------------------------------------------

/** Per fixture: `line:column reference | where`, in file order. */
const EXPECTED_FINDINGS: Record<string, string[]> = {
  'k8s-pod.yaml': [
    '10:15 busybox:1.36 | Pod debug-me, init container fetch',
    '14:15 registry.example.com:5000/team/migrate:2.1 | Pod debug-me, init container migrate',
    '17:12 registry.example.com:5000/team/app:1.0 | Pod debug-me, container app',
    '20:12 nginx | Pod debug-me, container proxy',
    '24:14 alpine:3.20 | Pod debug-me, ephemeral container shell',
  ],
  'k8s-deployment.yaml': [
    '21:18 busybox:1.36 | Deployment web, init container wait',
    '24:18 nginx:1.25 | Deployment web, container web',
    '29:18 docker.io/nginx/nginx-prometheus-exporter:1.1.0 | Deployment web, container exporter',
  ],
  'k8s-statefulset.yaml': ['13:18 postgres:16 | StatefulSet db, container postgres'],
  'k8s-daemonset.yaml': [
    '14:17 busybox:1.36 | DaemonSet node-agent, init container setup',
    '17:16 registry.example.com/infra/agent:3.2.1 | DaemonSet node-agent, container agent',
  ],
  'k8s-replicaset.yaml': ['13:39 registry.example.com/team/frontend:5.0 | ReplicaSet frontend, container php'],
  'k8s-job.yaml': ['12:18 registry.example.com/infra/backup:7 | Job backup, container backup'],
  'k8s-cronjob.yaml': [
    '14:22 busybox:1.36 | CronJob report, init container prepare',
    '17:22 registry.example.com/team/report:2026.11 | CronJob report, container report',
  ],
  'k8s-list.yaml': [
    '14:22 nginx:1.25 | Deployment web, container web',
    '22:18 registry.example.com/infra/tools:0.9 | Pod tools, container tools',
  ],
  'k8s-multi.yaml': [
    '31:20 nginx:1.25 | Deployment web, container web',
    '33:19 redis:7.2 | Deployment web, container cache',
    '46:39 registry.example.com/infra/cleanup:1.4 | CronJob cleanup, container cleanup',
    '57:14 registry.example.com/infra/tools:0.9 | Pod tools, container tools',
  ],
  'compose.yaml': [
    // one anchored scalar, used by two services through merge keys
    '9:10 registry.example.com/team/app:1.0 | service api-worker',
    '9:10 registry.example.com/team/app:1.0 | service api-cron',
    '14:12 nginx:1.25 | service web',
    '24:13 postgres:16 | service db',
    '29:13 redis:7.2 | service cache',
  ],
  Dockerfile: [
    '5:32 golang:1.22-alpine | FROM, build',
    '20:6 registry.example.com:5000/team/base:2.0 | FROM, runtime',
    '23:13 registry.example.com/infra/tools:0.9 | COPY --from, runtime',
  ],
  'Dockerfile.args': [
    '4:6 ${BASE} | FROM, stage 0',
    '5:6 nginx:$TAG | FROM, web',
    '6:6 busybox:1.36 | FROM, stage 2',
  ],
  'Dockerfile.escape': ['3:6 mcr.microsoft.com/windows/nanoserver:ltsc2022 | FROM, base'],
};

describe('findImageReferences', () => {
  test('every fixture has its findings listed here', () => {
    assert.deepEqual(Object.keys(EXPECTED_FINDINGS).sort(), FIXTURES);
  });

  for (const name of FIXTURES) {
    test(`${name}: the container images, at their line and column`, () => {
      const source = read('in', name);
      const found = findImageReferences(source, { file: name });
      assert.deepEqual(found.map((f) => `${f.line}:${f.column} ${f.reference} | ${f.where}`), EXPECTED_FINDINGS[name]);
      for (const f of found) {
        assert.equal(f.file, name);
        assert.equal(f.kind, name.startsWith('k8s') ? 'kubernetes' : name.startsWith('compose') ? 'compose' : 'dockerfile');
        assert.equal(f.pinned, false);
        // the range covers exactly the reference text, except for references that cannot be rewritten
        if (f.unresolvable === undefined) assert.equal(source.slice(f.offset, f.offset + f.length), f.reference);
        else assert.equal(f.length, 0);
      }
    });
  }

  test('YAML paths, documents and objects', () => {
    const found = findImageReferences(read('in', 'k8s-multi.yaml'), { file: 'k8s-multi.yaml' });
    assert.deepEqual(found.map((f) => [f.document, f.object, f.path]), [
      [2, 'Deployment/web', 'spec.template.spec.containers[0].image'],
      [2, 'Deployment/web', 'spec.template.spec.containers[1].image'],
      [3, 'CronJob/cleanup', 'spec.jobTemplate.spec.template.spec.containers[0].image'],
      [5, 'Pod/tools', 'spec.containers[0].image'],
    ]);
    const list = findImageReferences(read('in', 'k8s-list.yaml'), { file: 'k8s-list.yaml' });
    assert.deepEqual(list.map((f) => f.path), ['items[0].spec.template.spec.containers[0].image', 'items[1].spec.containers[0].image']);
    const compose = findImageReferences(read('in', 'compose.yaml'), { file: 'compose.yaml' });
    assert.deepEqual(compose.map((f) => f.path), ['services.api-worker.image', 'services.api-cron.image', 'services.web.image', 'services.db.image', 'services.cache.image']);
  });

  test('already pinned references are marked', () => {
    const found = findImageReferences(read('out', 'k8s-pod.yaml'), { file: 'k8s-pod.yaml' });
    assert.equal(found.length, 5);
    assert.ok(found.every((f) => f.pinned && /@sha256:[0-9a-f]{64}$/.test(f.reference)));
  });

  const cases: { name: string; file: string; source: string; expect: string[] }[] = [
    {
      name: 'objects without pod specs, and unknown kinds, have no images',
      file: 'x.yaml',
      source: lines('kind: Service', 'spec: {containers: [{image: nginx:1}]}', '---', 'kind: MyCustomThing', 'spec:', '  template: {spec: {containers: [{image: nginx:1}]}}'),
      expect: [],
    },
    {
      name: 'a YAML file that is neither Kubernetes nor Compose has no images',
      file: 'values.yaml',
      source: lines('image: nginx:1', 'containers:', '  - image: nginx:1'),
      expect: [],
    },
    {
      name: 'a DeploymentList is a List',
      file: 'x.yaml',
      source: lines('kind: DeploymentList', 'items:', '  - kind: Deployment', '    spec: {template: {spec: {containers: [{name: a, image: "nginx:1"}]}}}'),
      expect: ['4:61 nginx:1 | Deployment (unnamed), container a'],
    },
    {
      name: 'ReplicationController and PodTemplate',
      file: 'x.yaml',
      source: lines('kind: ReplicationController', 'spec: {template: {spec: {containers: [{image: a:1}]}}}', '---', 'kind: PodTemplate', 'template: {spec: {containers: [{image: b:1}]}}'),
      expect: ['2:47 a:1 | ReplicationController (unnamed), container #0', '5:40 b:1 | PodTemplate (unnamed), container #0'],
    },
    {
      name: 'a container without an image is skipped; an image of the wrong type is reported',
      file: 'x.yaml',
      source: lines('kind: Pod', 'spec:', '  containers:', '    - name: a', '    - name: b', '      image: [nginx]', '    - name: c', '      image:'),
      expect: ['6:14 [nginx] | Pod (unnamed), container b', '8:13  | Pod (unnamed), container c'],
    },
    {
      name: 'JSON manifests are YAML',
      file: 'pod.json',
      source: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},\n "spec": {"containers": [{"name": "a", "image": "nginx:1.25"}]}}\n',
      expect: ['2:50 nginx:1.25 | Pod p, container a'],
    },
    {
      name: 'a block scalar holding one reference',
      file: 'x.yaml',
      source: lines('kind: Pod', 'spec:', '  containers:', '    - image: >-', '        nginx:1.25'),
      expect: ['5:9 nginx:1.25 | Pod (unnamed), container #0'],
    },
    {
      name: 'Dockerfile: lowercase instructions, stage names case-insensitively, FROM of an earlier stage by name only',
      file: 'Dockerfile',
      source: lines('from Alpine:3 as Base', 'FROM base', 'FROM BASE AS two', 'from --platform=linux/arm64 two', 'FROM Scratch'),
      expect: ['1:6 Alpine:3 | FROM, Base'],
    },
    {
      name: 'Dockerfile: a stage name is only a stage after it is defined',
      file: 'Dockerfile',
      source: lines('FROM later', 'FROM alpine:3 AS later'),
      expect: ['1:6 later | FROM, stage 0', '2:6 alpine:3 | FROM, later'],
    },
    {
      name: 'Dockerfile: <<- heredocs end at a tab-indented terminator; several heredocs in one RUN',
      file: 'Dockerfile',
      source: lines('FROM a:1', 'RUN <<-EOT', '\tFROM b:1', '\tEOT', 'RUN <<ONE cat - && <<"TWO" cat -', 'FROM c:1', 'ONE', 'FROM d:1', 'TWO', 'FROM e:1'),
      expect: ['1:6 a:1 | FROM, stage 0', '10:6 e:1 | FROM, stage 1'],
    },
    {
      name: 'Dockerfile: a quoted <<WORD is no heredoc; a heredoc without terminator hides nothing',
      file: 'Dockerfile',
      source: lines('FROM a:1', `RUN echo "<<EOF" '<<EOT'`, 'FROM b:1', 'RUN cat <<NEVER', 'FROM c:1'),
      expect: ['1:6 a:1 | FROM, stage 0', '3:6 b:1 | FROM, stage 1', '5:6 c:1 | FROM, stage 2'],
    },
    {
      name: 'Dockerfile: CRLF line endings and a continuation with trailing spaces',
      file: 'Dockerfile',
      source: 'FROM \\  \r\n  nginx:1.25\r\nCOPY --chown=1:1 --from=busybox:1.36 /bin/sh /sh\r\n',
      expect: ['2:3 nginx:1.25 | FROM, stage 0', '3:25 busybox:1.36 | COPY --from, stage 0'],
    },
    {
      name: 'Dockerfile: parser directives only at the top; # escape later is a comment',
      file: 'Dockerfile',
      source: lines('FROM a:1', '# escape=`', 'FROM b:1 `', 'FROM c:1'),
      expect: ['1:6 a:1 | FROM, stage 0', '3:6 b:1 | FROM, stage 1', '4:6 c:1 | FROM, stage 2'],
    },
    {
      name: 'Dockerfile: FROM without an image is not a reference',
      file: 'Dockerfile',
      source: lines('FROM', 'FROM --platform=linux/amd64'),
      expect: [],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const found = findImageReferences(c.source, { file: c.file });
      assert.deepEqual(found.map((f) => `${f.line}:${f.column} ${f.reference} | ${f.where}`), c.expect);
    });
  }

  const unresolvable: { name: string; file: string; source: string; why: RegExp }[] = [
    { name: 'a Compose variable', file: 'compose.yaml', source: lines('services:', '  web:', '    image: "nginx:${TAG:-1.25}"'), why: /uses variables/ },
    { name: 'a Helm template', file: 'pod.yaml', source: lines('kind: Pod', 'spec:', '  containers:', '    - image: "{{ .Values.image }}"'), why: /uses variables/ },
    { name: 'an escape sequence in a quoted image', file: 'pod.yaml', source: lines('kind: Pod', 'spec:', '  containers:', '    - image: "nginx\\x3a1.25"'), why: /escape sequences/ },
    { name: 'a plain scalar folded over two lines', file: 'pod.yaml', source: lines('kind: Pod', 'spec:', '  containers:', '    - image: nginx', '        :1.25'), why: /not a single reference/ },
    { name: 'an image that is not a string', file: 'pod.yaml', source: lines('kind: Pod', 'spec:', '  containers:', '    - image: {name: nginx}'), why: /not a string/ },
    { name: 'an empty image', file: 'pod.yaml', source: lines('kind: Pod', 'spec:', '  containers:', '    - image: ""'), why: /no image/ },
    { name: 'a Dockerfile build argument', file: 'Dockerfile', source: lines('ARG V=3', 'FROM alpine:$V'), why: /build argument/ },
    { name: 'a Dockerfile reference split by a continuation', file: 'Dockerfile', source: lines('FROM ngi\\', 'nx:1.25'), why: /split over a line continuation/ },
  ];
  for (const c of unresolvable) {
    test(`unresolvable: ${c.name}`, () => {
      const [f, ...rest] = findImageReferences(c.source, { file: c.file });
      assert.equal(rest.length, 0);
      assert.ok(f);
      assert.match(f.unresolvable ?? '', c.why);
      assert.equal(f.length, 0);
      assert.deepEqual(referencesToResolve([f]), [], 'nothing to look up');
    });
  }
});

// ---- pinning -------------------------------------------------------------------------------------

/** Puts the original references back into pinned text: what is left must be the input, byte for byte. */
function unpin(pinned: string, original: string, file: string): string {
  const before = findImageReferences(original, { file });
  const after = findImageReferences(pinned, { file });
  assert.equal(after.length, before.length, 'same number of references');
  const spans = new Map<number, { length: number; text: string }>();
  after.forEach((f, i) => {
    if (f.length > 0) spans.set(f.offset, { length: f.length, text: (before[i] as { reference: string }).reference });
  });
  let out = '';
  let pos = 0;
  for (const [offset, s] of [...spans].sort((a, b) => a[0] - b[0])) {
    out += pinned.slice(pos, offset) + s.text;
    pos = offset + s.length;
  }
  return out + pinned.slice(pos);
}

describe('pinText', () => {
  for (const name of FIXTURES) {
    test(`${name}: output is out/${name}`, () => {
      const source = read('in', name);
      const r = pinText(source, { file: name, resolve: resolver() });
      assert.equal(r.text, read('out', name));
      assert.equal(r.changed, true);
      assert.equal(r.syntax, name.startsWith('Dockerfile') ? 'dockerfile' : 'yaml');
    });

    test(`${name}: only the references change, byte for byte`, () => {
      const source = read('in', name);
      const r = pinText(source, { file: name, resolve: resolver() });
      assert.equal(unpin(r.text, source, name), source);
      for (const o of r.outcomes.filter((x) => x.rewritten)) {
        assert.match(o.replacement ?? '', /^[^@\s]+:[\w][\w.-]*@sha256:[0-9a-f]{64}$/, 'IMAGE:TAG@sha256:…');
        assert.ok((o.replacement ?? '').startsWith(o.reference), 'the name and tag are kept as written');
      }
    });

    test(`${name}: idempotent`, () => {
      const pinned = read('out', name);
      const r = pinText(pinned, { file: name, resolve: resolver() });
      assert.equal(r.text, pinned);
      assert.equal(r.changed, false);
      assert.ok(r.outcomes.every((o) => o.status === 'ok' || o.status === 'unresolvable'), JSON.stringify(r.problems));
    });

    test(`${name}: CRLF line endings and a BOM are kept`, () => {
      const crlf = (s: string): string => '\uFEFF' + s.replace(/\n/g, '\r\n');
      const r = pinText(crlf(read('in', name)), { file: name, resolve: resolver() });
      assert.equal(r.text, crlf(read('out', name)));
      const expected = EXPECTED_FINDINGS[name]?.map((s) => s.split(' ')[0]);
      assert.deepEqual(r.outcomes.map((o) => `${o.line}:${o.column}`), expected, 'positions do not count the BOM or \\r');
    });
  }

  test('outcomes say what happened to each reference', () => {
    const r = pinText(read('in', 'Dockerfile.args'), { file: 'Dockerfile.args', resolve: resolver() });
    assert.deepEqual(r.outcomes.map((o) => [o.status, o.rewritten]), [['unresolvable', false], ['unresolvable', false], ['unpinned', true]]);
    assert.equal(r.outcomes[2]?.message, `busybox:1.36 pinned to busybox:1.36@${SIGNED['docker.io/library/busybox:1.36']}`);
    assert.deepEqual(r.problems.map((p) => [p.code, p.line, p.column, p.reference]), [['unresolvable', 4, 6, '${BASE}'], ['unresolvable', 5, 6, 'nginx:$TAG']]);
  });

  test('a reference without a tag is pinned to latest, written out', () => {
    const r = pinText(lines('FROM nginx', 'FROM registry.example.com:5000/team/app'), { file: 'Dockerfile', resolve: () => ({ parsed: {}, signed: D1 }) });
    assert.equal(r.text, lines(`FROM nginx:latest@${D1}`, `FROM registry.example.com:5000/team/app:latest@${D1}`));
  });

  const STALE = lines('kind: Pod', 'spec:', '  containers:', `    - image: nginx:1.25@${D1}  # pinned last week`);
  const signedNow = { 'docker.io/library/nginx:1.25': D2 };

  test('a pinned digest that is no longer the signed one is reported, not replaced', () => {
    const r = pinText(STALE, { file: 'pod.yaml', resolve: resolver(signedNow) });
    assert.equal(r.text, STALE);
    assert.equal(r.changed, false);
    assert.deepEqual(r.problems.map((p) => [p.code, p.line, p.column]), [['stale', 4, 14]]);
    assert.equal(r.problems[0]?.message, `nginx:1.25 is pinned to ${D1}, but the signed digest of tag 1.25 is ${D2} (vouch pin --update replaces it)`);
  });

  test('… and replaced with update: true', () => {
    const r = pinText(STALE, { file: 'pod.yaml', resolve: resolver(signedNow), update: true });
    assert.equal(r.text, STALE.replace(D1, D2));
    assert.deepEqual(r.problems, []);
    assert.equal(r.outcomes[0]?.status, 'stale');
    assert.equal(r.outcomes[0]?.rewritten, true);
    assert.equal(r.outcomes[0]?.message, `nginx:1.25@${D1} updated to nginx:1.25@${D2}`);
  });

  test('a digest without a tag is left alone and reported', () => {
    const src = lines(`FROM nginx@${D1}`);
    const r = pinText(src, { file: 'Dockerfile', resolve: resolver(), update: true });
    assert.equal(r.text, src);
    assert.deepEqual(r.problems.map((p) => p.code), ['no-tag']);
    assert.match(r.problems[0]?.message ?? '', /without a tag.*IMAGE:TAG@DIGEST/);
  });

  test('resolver failures are reported per reference and leave the text alone', () => {
    const src = lines('FROM unsigned.example.com/app:1', 'FROM Bad:Name', 'FROM nginx:1.25');
    const r = pinText(src, { file: 'Dockerfile', resolve: resolver() });
    assert.equal(r.text, lines('FROM unsigned.example.com/app:1', 'FROM Bad:Name', `FROM nginx:1.25@${SIGNED['docker.io/library/nginx:1.25']}`));
    assert.deepEqual(r.problems.map((p) => `${p.code} ${p.line}:${p.column} ${p.message}`), [
      'unresolved 1:6 unsigned.example.com/app:1: unsigned.example.com/app:1 has no trust data',
      "unresolved 2:6 Bad:Name: invalid image reference 'Bad:Name': repository name must be lowercase",
    ]);
  });

  test('a map resolver built from referencesToResolve', () => {
    const source = read('in', 'compose.yaml');
    const findings = findImageReferences(source, { file: 'compose.yaml' });
    const refs = referencesToResolve(findings);
    assert.deepEqual(refs, ['registry.example.com/team/app:1.0', 'nginx:1.25', 'postgres:16', 'redis:7.2'], 'distinct, in file order');
    const map = new Map(refs.map((ref) => [ref, lookup(SIGNED, ref)]));
    const r = pinText(source, { file: 'compose.yaml', resolve: map });
    assert.equal(r.text, read('out', 'compose.yaml'));
    // the anchored image is written once, and both services that share it report it
    assert.deepEqual(r.outcomes.slice(0, 2).map((o) => [o.where, o.rewritten]), [['service api-worker', true], ['service api-cron', true]]);
  });

  const bad: { name: string; resolution: PinResolution | undefined; message: RegExp }[] = [
    { name: 'no entry', resolution: undefined, message: /no signed digest was looked up/ },
    { name: 'a parse of another reference (tag)', resolution: { parsed: { tag: '2' }, signed: D1 }, message: /parse \(tag 2\) does not match/ },
    { name: 'a parse of another reference (digest)', resolution: { parsed: { tag: '1', digest: D2 }, signed: D1 }, message: /parse \(digest .*\) does not match/ },
    { name: 'no signed digest', resolution: { parsed: { tag: '1' } }, message: /no valid signed digest for tag 1 \(none\)/ },
    { name: 'a malformed digest', resolution: { parsed: { tag: '1' }, signed: 'sha256:ABC' }, message: /no valid signed digest/ },
    { name: 'a sha512 digest', resolution: { parsed: { tag: '1' }, signed: 'sha512:' + 'a'.repeat(128) }, message: /no valid signed digest/ },
  ];
  for (const c of bad) {
    test(`a resolver giving ${c.name} is reported, not trusted`, () => {
      const src = lines('FROM alpine:1');
      const r = pinText(src, { file: 'Dockerfile', resolve: new Map(c.resolution ? [['alpine:1', c.resolution]] : []) });
      assert.equal(r.text, src);
      assert.equal(r.problems[0]?.code, 'unresolved');
      assert.match(r.problems[0]?.message ?? '', c.message);
    });
  }

  test('quoting styles, flow collections, block scalars and comments survive', () => {
    const src = lines(
      'kind: Pod # c0',
      'spec:',
      '  containers: [{name: a, image: nginx:1.25}, {name: b, image: "nginx:1.25"}]',
      '  initContainers:',
      "    - {image: 'busybox:1.36',   name: c}   # c1",
      '    - image: >-',
      '        busybox:1.36',
      '      # c2',
      '    - image: !!str busybox:1.36',
    );
    const n = SIGNED['docker.io/library/nginx:1.25'] as string;
    const b = SIGNED['docker.io/library/busybox:1.36'] as string;
    const r = pinText(src, { file: 'pod.yaml', resolve: resolver() });
    assert.equal(r.text, lines(
      'kind: Pod # c0',
      'spec:',
      `  containers: [{name: a, image: nginx:1.25@${n}}, {name: b, image: "nginx:1.25@${n}"}]`,
      '  initContainers:',
      `    - {image: 'busybox:1.36@${b}',   name: c}   # c1`,
      '    - image: >-',
      `        busybox:1.36@${b}`,
      '      # c2',
      `    - image: !!str busybox:1.36@${b}`,
    ));
  });

  test('an empty file and a file of comments have nothing to pin', () => {
    for (const [file, src] of [['a.yaml', ''], ['b.yaml', '# nothing\n'], ['Dockerfile', '# nothing\n'], ['c.yaml', '---\n---\n']] as const) {
      const r = pinText(src, { file, resolve: resolver() });
      assert.deepEqual([r.text, r.outcomes, r.problems], [src, [], []], file);
    }
  });
});

// ---- check mode ------------------------------------------------------------------------------------

describe('checkPins', () => {
  const MIXED = lines(
    'kind: Deployment',
    'metadata: {name: web}',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    `        - {name: ok, image: "nginx:1.25@${SIGNED['docker.io/library/nginx:1.25'] as string}"}`,
    '        - {name: unpinned, image: postgres:16}',
    `        - {name: stale, image: "redis:7.2@${D1}"}`,
    '        - {name: variable, image: "app:${TAG}"}',
    '        - {name: unsigned, image: unsigned.example.com/app:1}',
    `        - {name: digest, image: "alpine@${D2}"}`,
  );

  test('every reference that is not pinned to its signed digest is a problem', () => {
    const c = checkPins(MIXED, { file: 'web.yaml', resolve: resolver() });
    const statuses: PinStatus[] = ['ok', 'unpinned', 'stale', 'unresolvable', 'unresolved', 'no-tag'];
    assert.deepEqual(c.outcomes.map((o) => o.status), statuses);
    assert.deepEqual(c.problems.map((p) => `${p.code} ${p.line}:${p.column}`), [
      'unpinned 8:35', 'stale 9:33', 'unresolvable 10:36', 'unresolved 11:35', 'no-tag 12:34',
    ]);
    assert.equal(formatPinProblem(c.problems[0]!), `web.yaml:8:35: Deployment web, container unpinned: postgres:16 is not pinned by digest; the signed digest of tag 16 is ${SIGNED['docker.io/library/postgres:16'] as string}`);
  });

  test('check agrees with pin: after pinning (and updating) only what pin cannot fix remains', () => {
    const pinned = pinText(MIXED, { file: 'web.yaml', resolve: resolver(), update: true });
    const c = checkPins(pinned.text, { file: 'web.yaml', resolve: resolver() });
    assert.deepEqual(c.problems.map((p) => p.code), ['unresolvable', 'unresolved', 'no-tag']);
    assert.deepEqual(c.problems.map((p) => p.code), pinned.problems.map((p) => p.code));
  });

  for (const name of FIXTURES) {
    test(`${name}: unpinned before, clean after`, () => {
      const before = checkPins(read('in', name), { file: name, resolve: resolver() });
      const unresolvable = EXPECTED_FINDINGS[name]?.filter((s) => s.includes('$')).length ?? 0;
      assert.equal(before.problems.filter((p) => p.code === 'unpinned').length, before.outcomes.length - unresolvable);
      const after = checkPins(read('out', name), { file: name, resolve: resolver() });
      assert.deepEqual(after.problems.map((p) => p.code), Array(unresolvable).fill('unresolvable'));
    });
  }

  test('pinProblemsError: NOT_PINNED with one line per problem; none when clean', () => {
    assert.equal(pinProblemsError([]), undefined);
    const c = checkPins(MIXED, { file: 'web.yaml', resolve: resolver() });
    const other = checkPins(lines('FROM alpine:3.20'), { file: 'Dockerfile', resolve: resolver() });
    const err = pinProblemsError([...c.problems, ...other.problems]);
    assert.ok(isVouchError(err, 'NOT_PINNED'));
    const [head, ...rest] = err.message.split('\n');
    assert.equal(head, '6 image references are not pinned to the signed digest (2 files):');
    assert.deepEqual(rest, [...c.problems, ...other.problems].map((p) => `  ${formatPinProblem(p)}`));
    assert.match(err.hint ?? '', /vouch pin FILE/);
    assert.equal((err.details.problems as unknown[]).length, 6);
    const one = pinProblemsError(other.problems);
    assert.match(one?.message ?? '', /^1 image reference is not pinned to the signed digest:\n {2}Dockerfile:1:6: FROM, stage 0: alpine:3.20 is not pinned/);
    const unfixable = pinProblemsError(c.problems.filter((p) => p.code === 'unresolvable'));
    assert.equal(unfixable?.hint, undefined, 'no advice to run vouch pin when it would not help');
  });
});

// ---- errors and detection ----------------------------------------------------------------------------

describe('malformed input', () => {
  const cases: { name: string; source: string; line: number; column: number; message: RegExp }[] = [
    { name: 'unclosed quote', source: lines('kind: Pod', 'spec:', '  containers:', '    - image: "nginx:1.25', '      name: a'), line: 6, column: 1, message: /Missing closing "quote/ },
    { name: 'duplicate key', source: lines('kind: Pod', 'spec: {}', 'spec: {}'), line: 3, column: 1, message: /Map keys must be unique/ },
    { name: 'bad indentation', source: lines('kind: Pod', 'spec:', '  containers:', '  - image: a:1', '   name: x'), line: 5, column: 1, message: /Sequence item without - indicator/ },
    { name: 'a tab for indentation', source: lines('kind: Pod', 'spec:', '\tcontainers: []'), line: 3, column: 1, message: /[Tt]ab/ },
    { name: 'an error in the second document', source: lines('kind: Pod', '---', 'kind: Pod', 'spec: [1, 2'), line: 5, column: 1, message: /Flow sequence in block collection/ },
  ];
  for (const c of cases) {
    test(`YAML ${c.name}: INVALID_YAML with line and column, nothing rewritten`, () => {
      assert.throws(() => pinText(c.source, { file: 'bad.yaml', resolve: resolver() }), (err: unknown) => {
        assert.ok(isVouchError(err, 'INVALID_YAML'), String(err));
        const first = (err.details.errors as { line: number; column: number; message: string }[])[0];
        assert.deepEqual([first?.line, first?.column], [c.line, c.column], err.message);
        assert.match(first?.message ?? '', c.message);
        assert.ok(err.message.includes(`bad.yaml:${c.line}:${c.column}: `), err.message);
        assert.ok(!/\n\n/.test(err.message), 'no source excerpts in the message');
        assert.match(err.hint ?? '', /changes nothing/);
        return true;
      });
      assert.throws(() => checkPins(c.source, { file: 'bad.yaml', resolve: resolver() }), (err: unknown) => isVouchError(err, 'INVALID_YAML'));
    });
  }

  test('too large: TOO_LARGE before parsing', () => {
    const big = 'x'.repeat(MAX_PIN_CHARS + 1);
    assert.throws(() => findImageReferences(big, { file: 'big.yaml' }), (err: unknown) => isVouchError(err, 'TOO_LARGE'));
  });

  test('alias expansion is bounded', () => {
    // 20 levels of doubling; the walk only visits image paths, so it stays small whatever the expansion.
    const defs = ['a0: &a0 [{image: x:1}]'];
    for (let i = 1; i <= 20; i++) defs.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
    const src = lines('kind: Pod', ...defs, 'spec: {containers: *a0}');
    assert.equal(findImageReferences(src, { file: 'pod.yaml' }).length, 1);
  });
});

describe('detectSyntax', () => {
  const cases: [string, string, 'yaml' | 'dockerfile'][] = [
    ['Dockerfile', '', 'dockerfile'],
    ['build/Dockerfile.prod', '', 'dockerfile'],
    ['Containerfile', '', 'dockerfile'],
    ['dockerfile-dev', '', 'dockerfile'],
    ['api.Dockerfile', '', 'dockerfile'],
    ['C:\\src\\app.dockerfile', '', 'dockerfile'],
    ['deploy.yaml', 'FROM x', 'yaml'],
    ['Dockerfile.yaml', '', 'yaml'],
    ['compose.yml', '', 'yaml'],
    ['pod.json', '', 'yaml'],
    ['-', '# syntax=docker/dockerfile:1\n\nFROM alpine\n', 'dockerfile'],
    ['-', '\uFEFFARG X=1\nFROM $X\n', 'dockerfile'],
    ['-', 'apiVersion: v1\nkind: Pod\n', 'yaml'],
    ['-', '', 'yaml'],
  ];
  for (const [file, source, expected] of cases) {
    test(`${file} ${JSON.stringify(source.slice(0, 12))} → ${expected}`, () => assert.equal(detectSyntax(file, source), expected));
  }

  test('the syntax option overrides detection', () => {
    const found = findImageReferences(lines('FROM alpine:3.20'), { file: 'build.txt', syntax: 'dockerfile' });
    assert.deepEqual(found.map((f) => f.reference), ['alpine:3.20']);
  });
});
