/** Reading a verb's input file, or standard input for `-`, with Go's error wording. */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { CliIo } from '../../common/cli/command.js';
import { CliError } from './client.js';

// Go's os.Open messages for the errors an operator meets.
const GO_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
};

/**
 * The bytes of `path` (relative to the working directory), or of standard input when `path` is
 * `-` (or empty and `stdinWhenEmpty`). A missing file fails as Go does: `open <path>: no such
 * file or directory`.
 */
export async function readInput(io: CliIo, path: string, stdinWhenEmpty = false): Promise<Buffer> {
  if (path === '-' || (path === '' && stdinWhenEmpty)) {
    return Buffer.from((await io.readStdin?.()) ?? new Uint8Array());
  }
  try {
    return await readFile(isAbsolute(path) ? path : join(io.cwd, path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const why = GO_ERRNO[code] ?? (err instanceof Error ? err.message : String(err));
    throw new CliError(`open ${path}: ${why}`);
  }
}
