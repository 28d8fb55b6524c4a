// Child process for the lease tests: opens the store at argv[2], takes the write lock of GUN argv[3]
// with withGunLock, prints "locked" and holds it (for at most a minute) until it is killed.
import { openStore } from '../../../src/storage/index.js';

const [url, gun] = process.argv.slice(2);
const store = await openStore(url!);
await store.withGunLock(gun!, async () => {
  process.stdout.write('locked\n');
  await new Promise((r) => setTimeout(r, 60_000));
});
await store.close();
