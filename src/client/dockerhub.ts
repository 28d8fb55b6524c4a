// Docker Hub's Notary service (notary.docker.io) and the docker CLI's content trust are both gone
// or going: Docker retires DCT and turns notary.docker.io off on 2026-12-08
// (https://www.docker.com/blog/retiring-docker-content-trust and its follow-up post), and docker v29
// removed content trust from pull/push/run/build, ignoring DOCKER_CONTENT_TRUST=1 without a word
// (docker/cli v29 release notes). vouch says so instead of failing with a connection error or
// letting a user believe docker still verifies.
import { VouchError } from '../core/index.js';
import { contentTrustEnabled, dockerCliVersionOutput, type Env } from './dockerenv.js';

export const DOCKER_HUB_NOTARY = 'https://notary.docker.io';
/** The day the service goes away; from this instant vouch no longer contacts it by default. */
export const DOCKER_HUB_NOTARY_RETIRED = new Date('2026-12-08T00:00:00Z');
const DAY_MS = 24 * 60 * 60 * 1000;

const stillVerifiable =
  'OCI signatures stored next to the image in the registry still verify without it: Notation signatures with `vouch notation verify`';

/**
 * What to tell a user whose trust server is Docker Hub's Notary by default (not by their own
 * DOCKER_CONTENT_TRUST_SERVER): a warning before the retirement, an error from that day on.
 */
export function dockerHubNotaryNotice(server: string, chosenByDefault: boolean, now: Date):
  { kind: 'warning'; message: string } | { kind: 'retired'; error: VouchError } | undefined {
  if (!chosenByDefault || server !== DOCKER_HUB_NOTARY) return undefined;
  const left = DOCKER_HUB_NOTARY_RETIRED.getTime() - now.getTime();
  if (left > 0) {
    const days = Math.ceil(left / DAY_MS);
    return {
      kind: 'warning',
      message: `Docker Hub's Notary service (notary.docker.io) shuts down on 2026-12-08 (in ${days} day${days === 1 ? '' : 's'}); ` +
        'after that, trust data of docker.io repositories can no longer be read or published there. ' +
        `Sign with Notation now (\`vouch notation sign\`); ${stillVerifiable}.`,
    };
  }
  return {
    kind: 'retired',
    error: new VouchError('SERVICE_RETIRED', "Docker Hub's Notary service (notary.docker.io) was retired on 2026-12-08: " +
      'Docker Content Trust data of docker.io repositories can no longer be read or published there', {
      hint: `${stillVerifiable}. To use another trust server, set DOCKER_CONTENT_TRUST_SERVER to its URL ` +
        '(setting it to https://notary.docker.io makes vouch try Docker Hub anyway)',
    }),
  };
}

/** The docker CLI's version from `docker --version` ("Docker version 29.0.1, build 1234567"). */
export function parseDockerVersion(output: string): { major: number; minor: number; text: string } | undefined {
  const m = /^Docker version (\d+)\.(\d+)(?:\.\d+)?[^\s,]*/.exec(output.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), text: m[0].slice('Docker version '.length) };
}

/** docker v29 dropped content trust; from that major on, DOCKER_CONTENT_TRUST=1 does nothing in docker. */
export const DOCKER_WITHOUT_CONTENT_TRUST = 29;

/** The warning for a user who set DOCKER_CONTENT_TRUST and whose docker CLI is v29 or newer; else undefined. */
export function dockerContentTrustWarning(env: Env): string | undefined {
  if (!contentTrustEnabled(env)) return undefined;
  const output = dockerCliVersionOutput(env);
  const version = output === undefined ? undefined : parseDockerVersion(output);
  if (version === undefined || version.major < DOCKER_WITHOUT_CONTENT_TRUST) return undefined;
  return dockerIgnoresContentTrustWarning(version.text);
}

export function dockerIgnoresContentTrustWarning(version: string): string {
  return `DOCKER_CONTENT_TRUST is set, but docker ${version} no longer verifies anything: docker v29 removed content trust, ` +
    'and `docker pull`, `push`, `run` and `build` ignore DOCKER_CONTENT_TRUST=1 and go ahead unverified. ' +
    'Verify with vouch instead: `vouch pull IMAGE` (or `vouch verify IMAGE`) before docker uses the image, and `vouch push IMAGE` to sign.';
}
