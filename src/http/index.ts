// http: the one HTTP client of vouch, for trust servers and registries (node:http(s), keep-alive,
// one TLS trust per client, docker's token and Basic auth, redirects, retries, bounded bodies,
// deadlines). See docs/decisions/http-client.md.
export * from './auth.js';
export * from './body.js';
export * from './deadlines.js';
export * from './host.js';
export * from './tls.js';
export * from './transport.js';
