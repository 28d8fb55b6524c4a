// File helpers for the trust directory: private modes (0700 dirs, 0600 files) and atomic writes,
// so that a crash never leaves a half-written key or metadata file behind.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VouchError } from '../core/index.js';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** mkdir -p with mode 0700 for every directory it creates. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (err) {
    throw new VouchError('STORAGE', `cannot create directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Writes temp file + fsync + rename (+ fsync of the directory), mode 0600 unless told otherwise. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = FILE_MODE): Promise<void> {
  const dir = dirname(path);
  await ensurePrivateDir(dir);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, mode); // the umask may have narrowed or the caller asked for a wider mode
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new VouchError('STORAGE', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable; some platforms cannot open a directory, which is not an error.
  try {
    const fh = await open(dir, 'r');
    try { await fh.sync(); } finally { await fh.close(); }
  } catch {
    /* best effort */
  }
}

/** The file's bytes, or undefined when it does not exist. Bounded by `maxBytes`. */
export async function readFileIfExists(path: string, maxBytes = 100 * 1024 * 1024): Promise<Buffer | undefined> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new VouchError('STORAGE', `${path} is not a regular file`);
    if (st.size > maxBytes) throw new VouchError('TOO_LARGE', `${path} is larger than ${maxBytes} bytes`);
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof VouchError) throw err;
    throw new VouchError('STORAGE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
