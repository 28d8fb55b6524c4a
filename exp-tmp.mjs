process.on("SIGINT", () => process.exit(0));
import https from 'node:https'; import fs from 'node:fs';
import { openMemoryStore } from './dist/src/storage/index.js';
import { matchRoute, cleanPath, decodePath } from './dist/src/server/routes.js';
import { cacheHeaders, rfc1123 } from './dist/src/server/caching.js';
const store = openMemoryStore({ keySecret: 'x' });
const data = Buffer.from(fs.readFileSync('/tmp/sv/targets.json'));
await store.withGunLock('demo/app', async (tx) => tx.update('demo/app', [{ role: 'targets', version: 1, data }]));
https.createServer({ key: fs.readFileSync('/tmp/sv/k.pem'), cert: fs.readFileSync('/tmp/sv/c.pem') }, async (req, res) => {
  const raw = req.url; const path = decodePath(raw); const clean = cleanPath(path);
  const route = matchRoute(req.method, clean);
  const file = await store.getCurrent(route.gun, route.role);
  const h = cacheHeaders(300, true);
  res.writeHead(200, { ...h, 'last-modified': rfc1123(file.createdAt), 'content-type': 'text/plain; charset=utf-8', 'content-length': file.data.length });
  res.end(file.data);
}).listen(4557, '127.0.0.1');
