// File helpers for the trust directory: private modes (0700 dirs, 0600 files) and atomic writes,
// so that a crash never leaves a half-written key or metadata file behind.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { VouchError } from '../core/index.js';
import { writeFileAtomic } from '../files/index.js';

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

/** A trust-directory file, written atomically (src/files): mode 0600 unless told otherwise, directories 0700. */
export async function writePrivateFile(path: string, data: string | Uint8Array, mode = FILE_MODE): Promise<void> {
  try {
    await writeFileAtomic(path, data, { mode, dirMode: DIR_MODE });
  } catch (err) {
    throw new VouchError('STORAGE', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
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
