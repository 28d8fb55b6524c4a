// Files and variables as docker users know them (docker/cli cli/trust/trust.go, the README's command table): DOCKER_CONFIG, the trust
// directory, DOCKER_CONTENT_TRUST(_SERVER), registry credentials in config.json (inline, or via
// credential helpers), and per-host TLS material in tls/<host>/ and /etc/docker/certs.d/<host>/.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VouchError, isJsonObject, parseJson } from '../core/index.js';
import { isLoopbackHost, type Credentials, type Deadlines, type TlsOptions } from '../http/index.js';
import { DEFAULT_REGISTRY } from '../oci/reference.js';

export type Env = Readonly<Record<string, string | undefined>>;

export function dockerConfigDir(env: Env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

export function trustDirOf(env: Env): string {
  return join(dockerConfigDir(env), 'trust');
}

/** DOCKER_CONTENT_TRUST: on for any value that parses as true or does not parse as a bool (docker's rule). */
export function contentTrustEnabled(env: Env): boolean {
  const v = env.DOCKER_CONTENT_TRUST;
  if (v === undefined || v === '') return false;
  const falsy = ['0', 'f', 'F', 'false', 'FALSE', 'False'];
  return !falsy.includes(v);
}

/** What `docker --version` prints, or undefined when no docker CLI answers on PATH within 5 s. */
export function dockerCliVersionOutput(env: Env): string | undefined {
  const res = spawnSync('docker', ['--version'], { encoding: 'utf8', timeout: 5_000, maxBuffer: 64 * 1024, env: { ...env } });
  if (res.error || res.status !== 0) return undefined;
  return res.stdout;
}

/** Trust server for a registry: DOCKER_CONTENT_TRUST_SERVER, notary.docker.io for Docker Hub, else the registry host. */
export function trustServerFor(registry: string, env: Env): string {
  const explicit = env.DOCKER_CONTENT_TRUST_SERVER;
  if (explicit) {
    let url: URL;
    try { url = new URL(explicit); } catch { throw new VouchError('CONFIG', `DOCKER_CONTENT_TRUST_SERVER='${explicit}' is not a URL`); }
    // docker insists on https; plain http is allowed for loopback only (local servers, tests).
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.host))) {
      throw new VouchError('CONFIG', `DOCKER_CONTENT_TRUST_SERVER='${explicit}' must be an https:// URL`, {
        hint: 'plain http is accepted only for loopback addresses',
      });
    }
    return explicit.replace(/\/+$/, '');
  }
  return registry === DEFAULT_REGISTRY ? 'https://notary.docker.io' : `https://${registry}`;
}

interface AuthEntry { auth?: string; username?: string; password?: string; identitytoken?: string }
interface ConfigFile { auths?: Record<string, AuthEntry>; credsStore?: string; credHelpers?: Record<string, string> }

export function readDockerConfig(env: Env): ConfigFile {
  const file = join(dockerConfigDir(env), 'config.json');
  if (!existsSync(file)) return {};
  const v = parseJson(readFileSync(file), { maxBytes: 4 * 1024 * 1024, what: file });
  if (!isJsonObject(v)) throw new VouchError('CONFIG', `${file} is not a JSON object`);
  return v as unknown as ConfigFile;
}

/** Keys under which docker may have stored a registry's credentials. */
function authKeys(registry: string): string[] {
  if (registry === DEFAULT_REGISTRY) return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

export function credentialsFor(registry: string, env: Env, config: ConfigFile = readDockerConfig(env)): Credentials | undefined {
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (helper) {
    const fromHelper = runCredentialHelper(helper, registry === DEFAULT_REGISTRY ? 'https://index.docker.io/v1/' : registry);
    if (fromHelper) return fromHelper;
  }
  for (const key of authKeys(registry)) {
    const e = config.auths?.[key];
    if (!e) continue;
    if (e.identitytoken) return { identityToken: e.identitytoken };
    if (e.auth) {
      const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new VouchError('CONFIG', `the auth entry for ${key} in config.json is not base64 of user:password`);
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (e.username) return { username: e.username, password: e.password ?? '' };
  }
  return undefined;
}

function runCredentialHelper(name: string, server: string): Credentials | undefined {
  if (!/^[a-zA-Z0-9_.-]+$/.test(name)) throw new VouchError('CONFIG', `invalid credential helper name '${name}'`);
  const res = spawnSync(`docker-credential-${name}`, ['get'], { input: server, encoding: 'utf8', timeout: 30_000 });
  if (res.error || res.status !== 0) return undefined;
  try {
    const v = JSON.parse(res.stdout) as { Username?: string; Secret?: string };
    if (!v.Secret) return undefined;
    return v.Username === '<token>' ? { identityToken: v.Secret } : { username: v.Username ?? '', password: v.Secret };
  } catch {
    return undefined;
  }
}

/** CAs (*.crt) and a client certificate (*.cert + matching *.key) from docker's per-host folders. */
export function tlsFor(host: string, env: Env, extraDirs: string[] = [join('/etc/docker/certs.d', host)]): TlsOptions {
  const dirs = [join(dockerConfigDir(env), 'tls', host), ...extraDirs];
  const ca: Buffer[] = [];
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (f.endsWith('.crt')) ca.push(readFileSync(join(dir, f)));
      else if (f.endsWith('.cert') && !cert) {
        const keyFile = join(dir, f.replace(/\.cert$/, '.key'));
        if (!existsSync(keyFile)) throw new VouchError('CONFIG', `client certificate ${join(dir, f)} has no matching key ${keyFile}`);
        cert = readFileSync(join(dir, f));
        key = readFileSync(keyFile);
      }
    }
  }
  return { ...(ca.length ? { ca } : {}), ...(cert && key ? { cert, key } : {}) };
}

/** The variables that override the network deadlines (seconds), by deadline. */
export const DEADLINE_VARIABLES: Readonly<Record<keyof Deadlines, string>> = {
  connectMs: 'VOUCH_TIMEOUT_CONNECT',
  firstByteMs: 'VOUCH_TIMEOUT_FIRST_BYTE',
  bodyMs: 'VOUCH_TIMEOUT_BODY',
  stallMs: 'VOUCH_TIMEOUT_STALL',
};

/** Deadlines set in the environment (seconds, > 0, fractions allowed); the rest keep their defaults. */
export function deadlinesFrom(env: Env): Partial<Deadlines> {
  const out: Partial<Deadlines> = {};
  for (const [key, name] of Object.entries(DEADLINE_VARIABLES) as [keyof Deadlines, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const seconds = Number(raw);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 24 * 3600) {
      throw new VouchError('CONFIG', `${name}=${raw} is not a number of seconds`, { hint: `set ${name} to a positive number of seconds, e.g. ${name}=20` });
    }
    out[key] = Math.round(seconds * 1000);
  }
  return out;
}
