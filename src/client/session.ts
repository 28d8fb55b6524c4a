// Wires one command's view of the world: which trust server a repository uses, with which TLS
// material and credentials (docker's rules, docker/cli cli/trust/trust.go; docker/distribution registry/auth/token/accesscontroller.go), and the registry client for `sign`.
// The environment is passed in; nothing here reads process.env.
import { VouchError } from '../core/index.js';
import type { TrustDir } from '../keys/index.js';
import { HttpTransport } from '../http/index.js';
import { RegistryClient } from '../oci/client.js';
import { gunOf, parseReference, type ImageReference } from '../oci/reference.js';
import type { TrustPinning } from '../tuf/index.js';
import { dockerHubNotaryNotice } from './dockerhub.js';
import { credentialsFor, deadlinesFrom, readDockerConfig, tlsFor, trustServerFor, type Env } from './dockerenv.js';
import { NotaryRemote, listRepositories } from './remote.js';

export interface SessionOptions {
  env: Env;
  trustDir: TrustDir;
  now: () => Date;
  /** where warnings go (stderr in the CLI) */
  warn?: (message: string) => void;
  pinning?: TrustPinning;
  /** answers yes/no questions (last signer, revoke all); default: no */
  confirm?: (question: string) => Promise<boolean>;
  /** override the trust server URL (tests, --server) */
  server?: string;
  /**
   * Registry clients the caller configured (the registry gate: its upstreams' credentials and CAs),
   * by registry host; used instead of docker's configuration for those hosts, and closed by the caller.
   */
  registries?: ReadonlyMap<string, RegistryClient>;
}

/** Everything one command needs; close() releases the HTTP connections. */
export class Session {
  readonly opts: SessionOptions;
  private readonly transports = new Map<string, HttpTransport>();
  private readonly registries = new Map<string, RegistryClient>();
  private warnedDockerHubNotary = false;

  constructor(opts: SessionOptions) {
    this.opts = opts;
  }

  get trustDir(): TrustDir { return this.opts.trustDir; }
  now(): Date { return this.opts.now(); }
  warn(msg: string): void { this.opts.warn?.(msg); }
  async confirm(question: string): Promise<boolean> { return this.opts.confirm ? this.opts.confirm(question) : false; }

  /** docker's trust server for a registry: DOCKER_CONTENT_TRUST_SERVER, notary.docker.io, or the registry host. */
  serverFor(registry: string): string {
    return this.opts.server ?? trustServerFor(registry, this.opts.env);
  }

  /** The notary remote for a GUN, authenticated with the registry's credentials (as docker does). */
  remoteFor(ref: Pick<ImageReference, 'registry' | 'repository'>): NotaryRemote {
    const server = this.serverFor(ref.registry);
    const chosenByDefault = this.opts.server === undefined && !this.opts.env.DOCKER_CONTENT_TRUST_SERVER;
    const notice = dockerHubNotaryNotice(server, chosenByDefault, this.now());
    if (notice?.kind === 'retired') throw notice.error;
    if (notice?.kind === 'warning' && !this.warnedDockerHubNotary) {
      this.warnedDockerHubNotary = true;
      this.warn(notice.message);
    }
    const host = new URL(server).host;
    const key = `${server} ${ref.registry}`;
    let t = this.transports.get(key);
    if (t === undefined) {
      const config = readDockerConfig(this.opts.env);
      const credentials = credentialsFor(ref.registry, this.opts.env, config);
      t = new HttpTransport({
        tls: tlsFor(host, this.opts.env), ...(credentials ? { credentials } : {}), credentialHosts: [host],
        deadlines: deadlinesFrom(this.opts.env), userAgent: 'vouch (docker trust)',
      });
      this.transports.set(key, t);
    }
    return new NotaryRemote({ server, gun: gunOf(ref), transport: t });
  }

  /** Every repository with trust data on the trust server named by DOCKER_CONTENT_TRUST_SERVER (its changefeed). */
  async listServerRepositories(): Promise<string[]> {
    const configured = this.opts.server ?? this.opts.env.DOCKER_CONTENT_TRUST_SERVER;
    if (configured === undefined || configured === '') {
      throw new VouchError('INVALID_ARGUMENT', 'listing every repository needs the trust server', { hint: 'set DOCKER_CONTENT_TRUST_SERVER to its URL' });
    }
    const server = this.opts.server ?? trustServerFor('', this.opts.env);
    const host = new URL(server).host;
    const key = `${server} catalog`;
    let t = this.transports.get(key);
    if (t === undefined) {
      const credentials = credentialsFor(host, this.opts.env);
      t = new HttpTransport({
        tls: tlsFor(host, this.opts.env), ...(credentials ? { credentials } : {}), credentialHosts: [host],
        deadlines: deadlinesFrom(this.opts.env), userAgent: 'vouch (docker trust)',
      });
      this.transports.set(key, t);
    }
    return listRepositories(t, server);
  }

  /** The registry's user name from config.json (docker names the first signer after it). */
  registryUser(registry: string): string | undefined {
    return credentialsFor(registry, this.opts.env)?.username || undefined;
  }

  /** The registry client; `plainHttp` talks http:// to any host (notation's --insecure-registry, --plain-http). */
  registryFor(registry: string, opts: { plainHttp?: boolean } = {}): RegistryClient {
    const given = opts.plainHttp ? undefined : this.opts.registries?.get(registry);
    if (given !== undefined) return given;
    const key = opts.plainHttp ? `http://${registry}` : registry;
    let c = this.registries.get(key);
    if (c === undefined) {
      const credentials = credentialsFor(registry, this.opts.env);
      c = new RegistryClient({ registry, ...(opts.plainHttp ? { scheme: 'http' as const } : {}), transportOptions: { tls: tlsFor(registry, this.opts.env), ...(credentials ? { credentials } : {}), deadlines: deadlinesFrom(this.opts.env), userAgent: 'vouch' } });
      this.registries.set(key, c);
    }
    return c;
  }

  async close(): Promise<void> {
    for (const t of this.transports.values()) await t.close();
    for (const c of this.registries.values()) await c.close();
    this.transports.clear();
    this.registries.clear();
  }
}

/** IMAGE[:TAG] as docker trust takes it: no digests. */
export function parseTrustReference(input: string, opts: { tag: 'required' | 'optional' }): ImageReference {
  const ref = parseReference(input);
  if (ref.digest !== undefined) {
    throw new VouchError('INVALID_ARGUMENT', `${input}: trust commands take IMAGE[:TAG], not a digest`, { hint: 'name the tag to sign or inspect' });
  }
  if (opts.tag === 'required' && ref.tag === undefined) {
    throw new VouchError('INVALID_ARGUMENT', `No tag specified for ${input}`, { hint: `use ${input}:TAG` });
  }
  return ref;
}
