// The Notary v1 HTTP API as a client sees it (notary server/server.go): metadata by name, version and checksum,
// atomic multipart publish, server-held keys, delete. Every response is bounded in size;
// nothing here trusts what it receives — verification is the updater's job.
import { randomBytes } from 'node:crypto';
import { VouchError, fromBase64, parseJson, isJsonObject, isKeyType, type PublicKeyData } from '../core/index.js';
import { maxBytesFor } from '../tuf/index.js';
import { unusableAnswerCode, type HttpResponse, type HttpTransport } from '../http/index.js';
import type { MetadataFetcher } from './updater.js';

export interface RemoteOptions {
  /** base URL of the trust server, e.g. https://notary.example.com:4443 */
  server: string;
  gun: string;
  transport: HttpTransport;
}

/** INVALID_UPDATE detail names the server sends, and the words notary's client shows for them. */
const VALIDATION_NAMES: Record<string, string> = {
  ErrValidation: 'the update is invalid',
  ErrBadRoot: 'the root metadata is invalid',
  ErrBadTargets: 'the targets metadata is invalid',
  ErrBadSnapshot: 'the snapshot metadata is invalid',
  ErrBadHierarchy: 'the metadata hierarchy is incomplete',
};

/** The trust server as the updater's MetadataFetcher; limits default to the role's ceiling (maxBytesFor). */
export class NotaryRemote implements MetadataFetcher {
  readonly server: string;
  readonly gun: string;
  private readonly transport: HttpTransport;

  constructor(opts: RemoteOptions) {
    const url = new URL(opts.server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new VouchError('CONFIG', `trust server '${opts.server}' is not an http(s) URL`);
    this.server = opts.server.replace(/\/+$/, '');
    this.gun = opts.gun;
    this.transport = opts.transport;
  }

  private url(tail: string): string {
    return `${this.server}/v2/${this.gun}/_trust/tuf/${tail}`;
  }

  private get pull(): string[] { return [`repository:${this.gun}:pull`]; }
  private get push(): string[] { return [`repository:${this.gun}:push,pull`]; }
  private get all(): string[] { return [`repository:${this.gun}:*`]; }

  /** Current version of a role; undefined on 404. */
  async getRole(role: string, maxBytes = maxBytesFor(role)): Promise<Buffer | undefined> {
    return this.getOptional(this.url(`${role}.json`), maxBytes);
  }

  async getRoleVersion(role: string, version: number, maxBytes = maxBytesFor(role)): Promise<Buffer | undefined> {
    if (!Number.isSafeInteger(version) || version < 1) throw new VouchError('INVALID_ARGUMENT', `invalid version ${version}`);
    return this.getOptional(this.url(`${version}.${role}.json`), maxBytes);
  }

  async getRoleChecksum(role: string, sha256Hex: string, maxBytes = maxBytesFor(role)): Promise<Buffer | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256Hex)) throw new VouchError('INVALID_ARGUMENT', `invalid sha256 checksum '${sha256Hex}'`);
    return this.getOptional(this.url(`${role}.${sha256Hex}.json`), maxBytes);
  }

  /** The server-held public key for timestamp or snapshot (created by the server on first request). */
  async getServerKey(role: 'timestamp' | 'snapshot'): Promise<PublicKeyData> {
    const res = await this.transport.request('GET', this.url(`${role}.key`), { scopes: this.push, maxBytes: 64 * 1024 });
    this.check(res, `get the ${role} key`);
    return parseServerKey(res.body, role);
  }

  /** Asks the server for a new key for timestamp or snapshot (effective once a root lists it). */
  async rotateServerKey(role: 'timestamp' | 'snapshot'): Promise<PublicKeyData> {
    const res = await this.transport.request('POST', this.url(`${role}.key`), { scopes: this.all, maxBytes: 64 * 1024 });
    this.check(res, `rotate the ${role} key`);
    return parseServerKey(res.body, role);
  }

  /** Atomic upload of signed metadata files (role → exact bytes). */
  async publish(files: Map<string, Buffer>): Promise<void> {
    const boundary = `vouch${randomBytes(16).toString('hex')}`;
    const parts: Buffer[] = [];
    for (const [role, data] of files) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${role}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
      parts.push(data, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    const res = await this.transport.request('POST', this.url(''), {
      scopes: this.push,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.concat(parts),
      maxBytes: 1024 * 1024,
    });
    this.check(res, 'publish');
  }

  /** Deletes all trust data of the GUN on the server. */
  async deleteAll(): Promise<void> {
    const res = await this.transport.request('DELETE', this.url(''), { scopes: this.all, maxBytes: 1024 * 1024 });
    this.check(res, 'delete the trust data');
  }

  private async getOptional(url: string, maxBytes: number): Promise<Buffer | undefined> {
    const res = await this.transport.request('GET', url, { scopes: this.pull, maxBytes });
    if (res.status === 404) return undefined;
    this.check(res, `fetch ${url.slice(url.lastIndexOf('/') + 1)}`);
    return res.body;
  }

  private check(res: HttpResponse, what: string): void {
    if (res.status === 200) return;
    const where = `trust server ${this.server}`;
    if (res.status === 401 || res.status === 403) {
      throw new VouchError('UNAUTHORIZED', `you are not authorized to ${what} for ${this.gun} on the ${where}`, {
        hint: 'log in to the registry (credentials in $DOCKER_CONFIG/config.json) or check your token scopes',
      });
    }
    if (res.status === 404) throw new VouchError('REPOSITORY_NOT_FOUND', `${this.gun}: trust data does not exist on the ${where}`);
    const remote = parseErrorBody(res.body);
    if (res.status === 400 && remote) {
      const detail = remote.detail as { Name?: unknown; Error?: { Msg?: unknown } } | undefined;
      const name = typeof detail?.Name === 'string' ? detail.Name : undefined;
      const msg = typeof detail?.Error?.Msg === 'string' ? detail.Error.Msg : remote.message;
      const lead = name && VALIDATION_NAMES[name] ? VALIDATION_NAMES[name] : `the ${where} rejected the operation (${remote.code})`;
      const hint = remote.code === 'VERSION'
        ? 'someone else published a newer version first: run the command again (it starts from the latest trust data)'
        : name === 'ErrBadHierarchy'
          ? 'the server does not hold the snapshot key: rotate it to the server (vouch trust key rotate REPO snapshot --server-managed) or import the snapshot key'
          : 'the server checked the signed metadata and refused it; make sure the keys in the trust directory are the ones the repository lists, then retry';
      throw new VouchError('REMOTE_ERROR', `could not ${what}: ${lead}: ${msg}`, { hint, details: { status: res.status, code: remote.code, detail: remote.detail } });
    }
    throw new VouchError(unusableAnswerCode(res.status), `could not ${what}: the ${where} answered HTTP ${res.status}${remote ? ` (${remote.code}: ${remote.message})` : ''}`, {
      details: { status: res.status },
      hint: 'check that the trust server is running and healthy (and DOCKER_CONTENT_TRUST_SERVER), then retry',
    });
  }
}

function parseErrorBody(body: Buffer): { code: string; message: string; detail: unknown } | undefined {
  try {
    const v = parseJson(body, { maxBytes: 64 * 1024 });
    if (!isJsonObject(v) || !Array.isArray(v.errors) || !isJsonObject(v.errors[0])) return undefined;
    const e = v.errors[0];
    return { code: String(e.code ?? ''), message: String(e.message ?? ''), detail: e.detail };
  } catch {
    return undefined;
  }
}

/** `{"keytype":…,"keyval":{"public":…,"private":null}}` from GET/POST `{role}.key`. */
export function parseServerKey(body: Buffer, role: string): PublicKeyData {
  const v = parseJson(body, { maxBytes: 64 * 1024, what: `${role} key` });
  if (!isJsonObject(v) || typeof v.keytype !== 'string' || !isKeyType(v.keytype) || !isJsonObject(v.keyval) || typeof v.keyval.public !== 'string') {
    throw new VouchError('REMOTE_ERROR', `the server's ${role} key is not a valid public key`);
  }
  return { keytype: v.keytype, public: fromBase64(v.keyval.public, `${role} key`) };
}

/** At most this many repositories are listed from one server's changefeed (a page is at most 1000 changes). */
export const MAX_LISTED_REPOSITORIES = 10_000;
const CHANGEFEED_PAGE = 1000;
const MAX_CHANGEFEED_PAGES = 1000;

/**
 * Every repository with trust data on `server`, from its changefeed (GET /v2/_trust/changefeed,
 * notary server/handlers/changefeed.go; scope registry:catalog:*): updates add a GUN, deletions
 * remove it. Bounded in pages, page size and the number of repositories.
 */
export async function listRepositories(transport: HttpTransport, server: string): Promise<string[]> {
  const base = server.replace(/\/+$/, '');
  const guns = new Set<string>();
  let changeId = '0';
  for (let page = 0; page < MAX_CHANGEFEED_PAGES; page++) {
    const url = `${base}/v2/_trust/changefeed?change_id=${encodeURIComponent(changeId)}&records=${CHANGEFEED_PAGE}`;
    const res = await transport.request('GET', url, { scopes: ['registry:catalog:*'], maxBytes: 4 * 1024 * 1024 });
    if (res.status === 401 || res.status === 403) {
      throw new VouchError('UNAUTHORIZED', `you are not authorized to list the repositories of the trust server ${base}`, { hint: 'the changefeed of every repository needs the registry:catalog:* scope' });
    }
    if (res.status !== 200) throw new VouchError('REMOTE_ERROR', `could not read the changefeed of the trust server ${base}: HTTP ${res.status}`);
    const v = parseJson(res.body, { maxBytes: 4 * 1024 * 1024, what: 'changefeed' });
    const records = isJsonObject(v) && Array.isArray(v.records) ? v.records : undefined;
    if (records === undefined) throw new VouchError('REMOTE_ERROR', `the changefeed of ${base} is not notary's {"count","records"} answer`);
    for (const r of records) {
      if (!isJsonObject(r) || typeof r.GUN !== 'string' || typeof r.ID !== 'string' || !/^\d{1,10}$/.test(r.ID)) {
        throw new VouchError('REMOTE_ERROR', `the changefeed of ${base} holds a malformed record`);
      }
      if (Number(r.ID) <= Number(changeId)) throw new VouchError('REMOTE_ERROR', `the changefeed of ${base} does not move forward (change ${r.ID} after ${changeId})`);
      if (r.Category === 'deletion') guns.delete(r.GUN);
      else guns.add(r.GUN);
      if (guns.size > MAX_LISTED_REPOSITORIES) {
        throw new VouchError('TOO_LARGE', `${base} holds more than ${MAX_LISTED_REPOSITORIES} repositories`, { hint: 'name the repositories to check instead of --all' });
      }
      changeId = r.ID;
    }
    if (records.length < CHANGEFEED_PAGE) return [...guns].sort();
  }
  throw new VouchError('TOO_LARGE', `the changefeed of ${base} does not end after ${MAX_CHANGEFEED_PAGES} pages`);
}
