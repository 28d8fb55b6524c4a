// Child process for the cross-process tests: opens the store at argv[2] and runs argv[4] concurrent
// read-increment-write publishers on GUN argv[3]; prints the versions it got as JSON.
import { openStore } from '../../../src/storage/index.js';

const [url, gun, count] = process.argv.slice(2);
const store = await openStore(url!);
try {
  const got = await Promise.all(Array.from({ length: Number(count) }, (_, i) => store.withGunLock(gun!, async (tx) => {
    const ts = await tx.getCurrent(gun!, 'timestamp');
    const v = (ts?.version ?? 0) + 1;
    await tx.update(gun!, [
      { role: 'targets', version: v, data: Buffer.from(`pid ${process.pid} #${i}`) },
      { role: 'timestamp', version: v, data: Buffer.from(`ts ${v} pid ${process.pid}`) },
    ]);
    return v;
  })));
  process.stdout.write(JSON.stringify(got));
} finally {
  await store.close();
}
