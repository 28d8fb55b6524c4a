// Docker Hub's Notary service retires on 2026-12-08 and docker v29 ignores DOCKER_CONTENT_TRUST:
// vouch says so (a warning before, a plain error after, a warning for docker v29+) instead of a
// connection error or silence.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isVouchError } from '../../../src/core/index.js';
import { TrustDir } from '../../../src/keys/index.js';
import { Session, parseTrustReference } from '../../../src/client/session.js';
import { DOCKER_HUB_NOTARY, dockerHubNotaryNotice, parseDockerVersion } from '../../../src/client/dockerhub.js';
import { runCli } from '../../support/cli.js';
import { removeTempDirs, tempDir } from './helpers.js';

after(removeTempDirs);

const before = new Date('2026-12-02T09:00:00Z');
const retiredDay = new Date('2026-12-08T00:00:00Z');

test('before 2026-12-08 the default Docker Hub notary gets a warning counting the days; from that day an error saying it is retired', () => {
  const warning = dockerHubNotaryNotice(DOCKER_HUB_NOTARY, true, before);
  assert.equal(warning?.kind, 'warning');
  assert.match(warning.kind === 'warning' ? warning.message : '', /shuts down on 2026-12-08 \(in 6 days\)/);
  const retired = dockerHubNotaryNotice(DOCKER_HUB_NOTARY, true, retiredDay);
  assert.equal(retired?.kind, 'retired');
  if (retired?.kind !== 'retired') return;
  assert.equal(retired.error.code, 'SERVICE_RETIRED');
  assert.match(retired.error.message, /was retired on 2026-12-08/);
  assert.match(retired.error.hint ?? '', /vouch notation verify/);
  assert.match(retired.error.hint ?? '', /DOCKER_CONTENT_TRUST_SERVER/);
  // a server the user chose, or another server, is none of vouch's business
  assert.equal(dockerHubNotaryNotice(DOCKER_HUB_NOTARY, false, retiredDay), undefined);
  assert.equal(dockerHubNotaryNotice('https://notary.example.com', true, retiredDay), undefined);
});

test('a session refuses the retired Docker Hub notary before any connection, warns once before the day, and honours an explicit server', async () => {
  const dir = new TrustDir(await tempDir());
  const alpine = parseTrustReference('alpine', { tag: 'optional' });
  const retired = new Session({ env: {}, trustDir: dir, now: () => retiredDay });
  assert.throws(() => retired.remoteFor(alpine), (e: unknown) => isVouchError(e, 'SERVICE_RETIRED'));

  const warnings: string[] = [];
  const early = new Session({ env: {}, trustDir: dir, now: () => before, warn: (m) => warnings.push(m) });
  early.remoteFor(alpine);
  early.remoteFor(parseTrustReference('docker.io/team/app', { tag: 'optional' }));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /notary\.docker\.io/);

  const explicit = new Session({ env: { DOCKER_CONTENT_TRUST_SERVER: DOCKER_HUB_NOTARY }, trustDir: dir, now: () => retiredDay });
  assert.equal(explicit.remoteFor(alpine).gun, 'docker.io/library/alpine');
  // other registries have their own trust server
  assert.equal(retired.remoteFor(parseTrustReference('registry.example.com/team/app', { tag: 'optional' })).gun, 'registry.example.com/team/app');
  await Promise.all([retired.close(), early.close(), explicit.close()]);
});

test('docker --version output parses to its major and minor; anything else is not a version', () => {
  assert.deepEqual(parseDockerVersion('Docker version 29.0.1, build 1234567\n'), { major: 29, minor: 0, text: '29.0.1' });
  assert.deepEqual(parseDockerVersion('Docker version 28.2.2, build e6534b4'), { major: 28, minor: 2, text: '28.2.2' });
  assert.deepEqual(parseDockerVersion('Docker version 30.1.0-rc.1, build abc'), { major: 30, minor: 1, text: '30.1.0-rc.1' });
  assert.equal(parseDockerVersion('podman version 5.0.0'), undefined);
  assert.equal(parseDockerVersion(''), undefined);
});

async function fakeDocker(version: string): Promise<string> {
  const dir = await tempDir();
  const bin = join(dir, 'docker');
  await writeFile(bin, `#!/bin/sh\necho "Docker version ${version}, build 0000000"\n`);
  await chmod(bin, 0o755);
  return dir;
}

test('with DOCKER_CONTENT_TRUST set, a command warns when the docker CLI is v29 or newer, and not for the docker CLI installed here (v28)', async () => {
  const home = await tempDir();
  const base = { HOME: home, DOCKER_CONFIG: join(home, '.docker'), DOCKER_CONTENT_TRUST: '1' };
  const missing = join(home, 'no-such-compose.yaml');
  const v29 = await fakeDocker('29.1.0');
  const warned = await runCli(['pin', '--check', missing], { ...base, PATH: `${v29}:${process.env.PATH ?? ''}` });
  assert.match(warned.stderr, /WARN: DOCKER_CONTENT_TRUST is set, but docker 29\.1\.0 no longer verifies anything/);
  assert.match(warned.stderr, /vouch pull IMAGE/);

  const real = await runCli(['pin', '--check', missing], { ...base, PATH: process.env.PATH ?? '' });
  assert.doesNotMatch(real.stderr, /no longer verifies/);
  const off = await runCli(['pin', '--check', missing], { ...base, DOCKER_CONTENT_TRUST: '0', PATH: `${v29}:${process.env.PATH ?? ''}` });
  assert.doesNotMatch(off.stderr, /no longer verifies/);
});
