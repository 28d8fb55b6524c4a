process.on("SIGINT", () => process.exit(0));
import fs from 'node:fs';
import { openMemoryStore } from './dist/src/storage/index.js';
import { createServer } from './dist/src/server/index.js';
const store = openMemoryStore({ keySecret: 'x' });
const data = Buffer.from(fs.readFileSync('/tmp/sv/targets.json'));
await store.withGunLock('demo/app', async (tx) => tx.update('demo/app', [{ role: 'targets', version: 1, data }]));
const app = createServer({ store, keyStore: store.keys, https: { key: fs.readFileSync('/tmp/sv/k.pem'), cert: fs.readFileSync('/tmp/sv/c.pem') }, logger: process.env.LOG === 'async' ? (await import('pino')).default({ level: 'info' }, (await import('pino')).default.destination({ dest: 1, sync: false, minLength: 4096 })) : process.env.LOG ? { level: 'info' } : false });
await app.listen({ host: '127.0.0.1', port: 4558 });
