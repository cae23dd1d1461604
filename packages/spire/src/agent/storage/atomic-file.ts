import { randomBytes } from 'node:crypto';
import { chmod, open, rename, rm } from 'node:fs/promises';

/**
 * Writes `data` to `path` so that a reader sees either the old content or the new one, never a
 * torn file: the bytes go to a sibling temporary file created with `mode`, are flushed, and the
 * temporary file is renamed over `path`. The mode is set again in case the umask narrowed it.
 */
export async function writeFileAtomic(path: string, data: Uint8Array, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const file = await open(tmp, 'wx', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } catch (err) {
    await file.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await file.close();
  await chmod(tmp, mode);
  await rename(tmp, path);
}
