// Which upstream registry serves which repository names, with what credentials and TLS trust, and
// which trust server holds their DCT data. From `--upstream [PREFIX=]URL` flags or a config file
// (YAML or JSON, docs/gate.md). Files named in the config are relative to it.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { VouchError, isJsonObject } from '../core/index.js';
import { isLoopbackHost, type Credentials } from '../http/index.js';

export interface Upstream {
  /**
   * The gate's repository names this upstream serves: '' for every name, else whole path
   * components (`team` serves team/app, not teamx/app). The longest matching prefix wins.
   */
  prefix: string;
  /** http(s)://host[:port] (plain http only on loopback, as docker allows) */
  url: string;
  /** The upstream's repository path that replaces `prefix` (default: the prefix itself). */
  repository: string;
  credentials?: Credentials;
  /** CA certificates (PEM) trusted for the upstream, besides the system roots */
  ca?: Buffer[];
  /** The trust server with the upstream's DCT data (default: DOCKER_CONTENT_TRUST_SERVER, else the upstream host). */
  trustServer?: string;
}

/** host:port of an upstream, the registry part of the GUNs its images are signed under. */
export function upstreamHost(u: Upstream): string {
  return new URL(u.url).host;
}

/** An upstream URL: http(s), nothing after the host but an optional `/`. */
export function checkUpstreamUrl(text: string, what: string): string {
  let url: URL;
  try { url = new URL(text); } catch { throw new VouchError('CONFIG', `${what}: '${text}' is not a URL`, { hint: 'e.g. https://registry.example.com or http://127.0.0.1:5000' }); }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new VouchError('CONFIG', `${what}: '${text}' is not an http(s) URL`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.host)) {
    throw new VouchError('CONFIG', `${what}: plain http to ${url.host} is refused`, { hint: 'use https; plain http is accepted only for loopback addresses, as docker does' });
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '' || url.password !== '') {
    throw new VouchError('CONFIG', `${what}: '${text}' must be just scheme://host[:port]`, { hint: 'credentials go in the config file (username/passwordFile), repository paths in `repository`' });
  }
  return `${url.protocol}//${url.host}`;
}

const PREFIX = /^(?:[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)?$/;

function checkPrefix(text: string, what: string): string {
  const p = text.replace(/\/+$/, '');
  if (!PREFIX.test(p)) throw new VouchError('CONFIG', `${what}: '${text}' is not a repository path (lower-case components separated by /)`);
  return p;
}

/** `--upstream [PREFIX=]URL`: every name (or the names under PREFIX) go to URL. */
export function parseUpstreamFlag(text: string): Upstream {
  const eq = text.indexOf('=');
  const prefix = eq >= 0 ? checkPrefix(text.slice(0, eq), '--upstream') : '';
  const url = checkUpstreamUrl(eq >= 0 ? text.slice(eq + 1) : text, '--upstream');
  return { prefix, url, repository: prefix };
}

const UPSTREAM_KEYS = new Set(['prefix', 'url', 'repository', 'username', 'password', 'passwordFile', 'identityTokenFile', 'caFiles', 'trustServer']);
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads a gate config file: `upstreams:` a list of { prefix, url, repository, username,
 * password | passwordFile, identityTokenFile, caFiles, trustServer }.
 */
export async function loadGateConfig(file: string): Promise<Upstream[]> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new VouchError('CONFIG', `cannot read the gate config ${file}: ${(err as Error).message}`);
  }
  if (text.length > MAX_CONFIG_BYTES) throw new VouchError('CONFIG', `the gate config ${file} is larger than ${MAX_CONFIG_BYTES} bytes`);
  let doc: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both.
    doc = (await import('yaml')).parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new VouchError('CONFIG', `the gate config ${file} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  const where = (i: number, key?: string): string => `${file}: upstreams[${i}]${key ? `.${key}` : ''}`;
  if (!isJsonObject(doc) || !Array.isArray(doc.upstreams) || doc.upstreams.length === 0) {
    throw new VouchError('CONFIG', `${file}: expected \`upstreams:\`, a list of upstream registries`, { hint: 'see docs/gate.md, "Configuration"' });
  }
  const unknownTop = Object.keys(doc).filter((k) => k !== 'upstreams');
  if (unknownTop.length > 0) throw new VouchError('CONFIG', `${file}: unknown key ${unknownTop.map((k) => JSON.stringify(k)).join(', ')}`);
  const base = dirname(file);
  const readRel = (i: number, key: string, p: unknown): Buffer => {
    if (typeof p !== 'string' || p === '') throw new VouchError('CONFIG', `${where(i, key)} must be a file name`);
    const path = isAbsolute(p) ? p : resolve(base, p);
    try { return readFileSync(path); } catch (err) { throw new VouchError('CONFIG', `${where(i, key)}: cannot read ${path}: ${(err as Error).message}`); }
  };
  const out: Upstream[] = [];
  doc.upstreams.forEach((u: unknown, i: number) => {
    if (!isJsonObject(u)) throw new VouchError('CONFIG', `${where(i)} must be a mapping`);
    for (const k of Object.keys(u)) if (!UPSTREAM_KEYS.has(k)) throw new VouchError('CONFIG', `${where(i)}: unknown key ${JSON.stringify(k)}`, { hint: `known keys: ${[...UPSTREAM_KEYS].join(', ')}` });
    const str = (key: string): string | undefined => {
      const v = u[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'string') throw new VouchError('CONFIG', `${where(i, key)} must be a string`);
      return v;
    };
    if (str('url') === undefined) throw new VouchError('CONFIG', `${where(i, 'url')} is missing`);
    const prefix = checkPrefix(str('prefix') ?? '', where(i, 'prefix'));
    const up: Upstream = { prefix, url: checkUpstreamUrl(str('url') as string, where(i, 'url')), repository: checkPrefix(str('repository') ?? prefix, where(i, 'repository')) };
    const username = str('username');
    if (str('password') !== undefined && u.passwordFile !== undefined) throw new VouchError('CONFIG', `${where(i)}: password and passwordFile exclude each other`);
    if (username !== undefined) {
      const password = str('password') ?? (u.passwordFile !== undefined ? readRel(i, 'passwordFile', u.passwordFile).toString('utf8').trim() : '');
      up.credentials = { username, password };
    } else if (u.identityTokenFile !== undefined) {
      up.credentials = { identityToken: readRel(i, 'identityTokenFile', u.identityTokenFile).toString('utf8').trim() };
    } else if (str('password') !== undefined || u.passwordFile !== undefined) {
      throw new VouchError('CONFIG', `${where(i)}: a password needs a username`);
    }
    if (u.caFiles !== undefined) {
      if (!Array.isArray(u.caFiles)) throw new VouchError('CONFIG', `${where(i, 'caFiles')} must be a list of files`);
      up.ca = u.caFiles.map((f, j) => readRel(i, `caFiles[${j}]`, f));
    }
    const trust = str('trustServer');
    if (trust !== undefined) up.trustServer = checkUpstreamUrl(trust, where(i, 'trustServer'));
    out.push(up);
  });
  checkDistinctPrefixes(out);
  return out;
}

export function checkDistinctPrefixes(upstreams: readonly Upstream[]): void {
  const seen = new Set<string>();
  for (const u of upstreams) {
    if (seen.has(u.prefix)) throw new VouchError('CONFIG', `two upstreams serve the prefix '${u.prefix}'`, { hint: 'each prefix names one upstream; the longest matching prefix wins' });
    seen.add(u.prefix);
  }
}

/** The upstream for a gate repository name, and the name there; undefined when no prefix matches. */
export function routeName(upstreams: readonly Upstream[], name: string): { upstream: Upstream; name: string } | undefined {
  let best: Upstream | undefined;
  for (const u of upstreams) {
    const matches = u.prefix === '' || name === u.prefix || name.startsWith(`${u.prefix}/`);
    if (matches && (best === undefined || u.prefix.length > best.prefix.length)) best = u;
  }
  if (best === undefined) return undefined;
  const rest = best.prefix === '' ? name : name.slice(best.prefix.length).replace(/^\//, '');
  const upstreamName = [best.repository, rest].filter((p) => p !== '').join('/');
  return { upstream: best, name: upstreamName };
}

/** The gate's name for an upstream repository name (catalog, Link headers); undefined when the upstream does not serve it through the gate. */
export function gateName(u: Upstream, upstreamName: string): string | undefined {
  let rest: string;
  if (u.repository === '') rest = upstreamName;
  else if (upstreamName === u.repository) rest = '';
  else if (upstreamName.startsWith(`${u.repository}/`)) rest = upstreamName.slice(u.repository.length + 1);
  else return undefined;
  const name = [u.prefix, rest].filter((p) => p !== '').join('/');
  return name === '' ? undefined : name;
}
