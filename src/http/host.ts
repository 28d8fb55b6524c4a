// Hosts that never leave the machine: docker treats loopback registries as insecure (plain http
// allowed), and a token realm on loopback may be plain http even for an https registry.

/** Is `host[:port]` a loopback address or `localhost`? */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostPort.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
