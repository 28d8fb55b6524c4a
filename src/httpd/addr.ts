// Listen addresses as Go's net package reads them, for both servers: `host:port`, `[v6]:port`, and
// `:port`, which means every interface (as in notary-server's `http_addr` and docker-registry's
// `addr`). A server that should stay on loopback says so: `127.0.0.1:PORT`, the default of both.
import { VouchError } from '../core/index.js';

export function parseListenAddress(addr: string, what = 'listen address'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  if (!m) throw new VouchError('CONFIG', `${what} ${JSON.stringify(addr)} is not host:port`, { hint: 'e.g. 127.0.0.1:4443, [::1]:4443, or :4443 for every interface' });
  const port = Number(m[3]);
  if (port > 65535) throw new VouchError('CONFIG', `${what} ${JSON.stringify(addr)} has an invalid port`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}
