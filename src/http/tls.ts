// The TLS trust of one HTTP client, as docker's: the system roots plus the CAs configured for the
// host ($DOCKER_CONFIG/tls/<host>/*.crt, /etc/docker/certs.d/<host>/*.crt), and a client
// certificate for mutual TLS (docker: the system pool plus AppendCertsFromPEM of each *.crt,
// `ReadCertsDirectory` in github.com/moby/moby registry/registry.go). Only documented Node APIs:
// tls.createSecureContext and tls.rootCertificates (https://nodejs.org/api/tls.html).
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

export interface TlsOptions {
  /** extra CA certificates (PEM) trusted for this host, in addition to the system ones */
  ca?: (string | Buffer)[];
  /** client certificate and key (PEM) for mutual TLS */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** the system roots (default: Node's bundled Mozilla store, tls.rootCertificates); tests give their own */
  systemRoots?: () => readonly (string | Buffer)[];
}

/**
 * OpenSSL's verdicts for a chain that ends at an issuer the context does not hold: the only
 * failures that more roots can cure (an expired or misnamed certificate stays refused).
 */
const UNKNOWN_ISSUER = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

/**
 * The secure context of a client's connections, made once per client. Without configured CAs it
 * is Node's default context (the system roots, already parsed by Node). With configured CAs,
 * Node's documented way to trust the system roots too is to list them all in `ca`
 * (`[...tls.rootCertificates, ...ca]`): OpenSSL then parses ~145 PEMs, ≈ 30 ms of CPU, and each
 * handshake against that store costs more (docs/decisions/http-client.md). So the context first
 * trusts the configured CAs alone, which is what a private trust server or registry needs; when a
 * server's chain ends at an issuer they do not hold, `widen` switches the client, once, to the
 * system roots plus the configured CAs, and the caller connects again. A failed handshake sent
 * nothing (no request, no credentials), and what is finally accepted is what docker's union
 * accepts. (Go's crypto/x509 verifies a system pool with added roots the same way on macOS and
 * Windows: once with the added roots, once with the platform's; src/crypto/x509/cert_pool.go,
 * `systemPool`.)
 */
export class TlsTrust {
  private readonly opts: TlsOptions;
  private current: SecureContext | undefined;
  private widened = false;

  constructor(opts: TlsOptions = {}) {
    this.opts = opts;
  }

  /** The context for new connections; undefined: Node's default (system roots, no client certificate). */
  context(): SecureContext | undefined {
    const { ca, cert, key } = this.opts;
    const client = cert && key ? { cert, key } : {};
    if (!ca?.length) {
      if (!cert || !key) return undefined;
      return (this.current ??= createSecureContext(client));
    }
    const roots = this.widened ? [...(this.opts.systemRoots ?? (() => rootCertificates))(), ...ca] : ca;
    return (this.current ??= createSecureContext({ ...client, ca: roots }));
  }

  /**
   * After a failed connection: may more roots help (the chain's issuer is unknown, and the
   * configured CAs were trusted alone)? Then the next context is the system roots plus the
   * configured CAs, and true says: connect again.
   */
  widen(err: unknown): boolean {
    const code = (err as { code?: unknown } | undefined)?.code;
    if (typeof code !== 'string' || !UNKNOWN_ISSUER.has(code) || !this.opts.ca?.length) return false;
    if (!this.widened) {
      this.widened = true;
      this.current = undefined;
    }
    return true;
  }
}
