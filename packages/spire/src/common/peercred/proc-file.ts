import { closeSync, constants, openSync, readSync } from 'node:fs';

// Large enough for /proc/<pid>/status (about 1.5 KiB) and stat in one read; grown when not.
const INITIAL_BYTES = 4096;

// Shared by every read: reads are synchronous, so two never overlap, and the text is copied out
// before returning. Saves a buffer per read on the Workload API's per-call path (issue 4).
let scratch: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);

/**
 * Reads a whole file synchronously as latin1 text, with a plain open/read/close: for procfs
 * files, which answer from kernel memory (one such read costs less than the thread-pool round
 * trips of an async read) and report no size, so reading goes on until end of file. Latin1 maps
 * every byte to one character, so a byte that is not UTF-8 (a process name may hold any) cannot
 * shift what follows. Errors are Node's (`ENOENT`, `ESRCH`, `EACCES` ...).
 */
export function readProcFileSync(path: string): string {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    let length = 0;
    for (;;) {
      if (length === scratch.length) scratch = grown(scratch);
      const read = readSync(fd, scratch, length, scratch.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return scratch.toString('latin1', 0, length);
  } finally {
    closeSync(fd);
  }
}

function grown(buffer: Buffer): Buffer {
  const next = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(next);
  return next;
}
