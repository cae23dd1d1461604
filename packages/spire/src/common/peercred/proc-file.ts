import { closeSync, constants, openSync, readSync, statfsSync } from 'node:fs';

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
    return readWhole(fd);
  } finally {
    closeSync(fd);
  }
}

// Reads from offset 0 to end of file (pread: the descriptor's own offset is never used).
function readWhole(fd: number): string {
  let length = 0;
  for (;;) {
    if (length === scratch.length) scratch = grown(scratch);
    const read = readSync(fd, scratch, length, scratch.length - length, length);
    if (read === 0) break;
    length += read;
  }
  return scratch.toString('latin1', 0, length);
}

/** linux/magic.h PROC_SUPER_MAGIC: what statfs reports for a procfs mount. */
const PROC_SUPER_MAGIC = 0x9fa0;

/** Descriptors a {@link ProcFileReader} keeps open at most by default (least recent closed). */
export const DEFAULT_MAX_OPEN_PROC_FILES = 64;

/**
 * Reads files under one procfs mount (`/proc/<pid>/status`, `/proc/<pid>/stat`) through
 * descriptors kept open from one read to the next, each read a `pread` from offset 0: procfs
 * builds the text afresh on every such read, so it is always current, and the open and close of
 * a fresh read are saved (about 4 µs per file on the Workload API's per-call path, issue 4).
 *
 * A kept descriptor answers for the very process it was opened on, never for a later process
 * given the same pid: once that process is gone its reads fail (ESRCH), and the file is then
 * opened again by path. While that process exists, no other process can hold its pid. So every
 * read says what a fresh read by path would say at that moment, but for permission: procfs
 * checks it at open (`hidepid`), so a process that became unreadable since is still read.
 *
 * Under a root that is not a procfs mount (a folder of test files, say), where a file replaced
 * by rename would leave a kept descriptor on the old one, every read opens the file afresh; so
 * does a path outside the root. At most `maxOpen` descriptors are kept; {@link close} closes
 * them.
 */
export class ProcFileReader {
  readonly #prefix: string | undefined;
  readonly #maxOpen: number;
  // Path -> descriptor, least recently read first.
  readonly #open = new Map<string, number>();

  constructor(procRoot: string, maxOpen = DEFAULT_MAX_OPEN_PROC_FILES) {
    this.#prefix = isProcfs(procRoot) ? `${procRoot.replace(/\/+$/, '')}/` : undefined;
    this.#maxOpen = maxOpen;
  }

  /** True when reads under the root keep their descriptors (the root is a procfs mount). */
  get keepsDescriptors(): boolean {
    return this.#prefix !== undefined;
  }

  /** Descriptors kept open now. */
  get openCount(): number {
    return this.#open.size;
  }

  /** The whole file as latin1 text, as {@link readProcFileSync} reads it; Node's errors. */
  read(path: string): string {
    if (this.#prefix === undefined || !path.startsWith(this.#prefix)) {
      return readProcFileSync(path);
    }
    const kept = this.#open.get(path);
    if (kept !== undefined) {
      this.#open.delete(path);
      try {
        const text = readWhole(kept);
        this.#open.set(path, kept);
        return text;
      } catch {
        // Its process is gone (ESRCH) or the read failed: ask by path, as a fresh read would.
        closeSync(kept);
      }
    }
    const fd = openSync(path, constants.O_RDONLY);
    let text: string;
    try {
      text = readWhole(fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.#keep(path, fd);
    return text;
  }

  /** Closes every kept descriptor; later reads open (and keep) files again. */
  close(): void {
    for (const fd of this.#open.values()) closeSync(fd);
    this.#open.clear();
  }

  #keep(path: string, fd: number): void {
    if (this.#maxOpen <= 0) {
      closeSync(fd);
      return;
    }
    while (this.#open.size >= this.#maxOpen) {
      const [oldest, oldFd] = this.#open.entries().next().value as [string, number];
      this.#open.delete(oldest);
      closeSync(oldFd);
    }
    this.#open.set(path, fd);
  }
}

function isProcfs(root: string): boolean {
  try {
    return statfsSync(root).type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

function grown(buffer: Buffer): Buffer {
  const next = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(next);
  return next;
}
