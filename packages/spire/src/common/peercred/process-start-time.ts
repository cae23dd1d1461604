import { readFile } from 'node:fs/promises';

import { PeerCredError, PeerCredErrorCode } from './errors.js';
import { readProcFileSync } from './proc-file.js';

// proc(5): starttime is field 22 of /proc/<pid>/stat; fields 3.. follow the ')' that closes comm.
const STARTTIME_AFTER_COMM = 22 - 3;

/**
 * Returns when process `pid` started, in clock ticks since boot (field 22 of `/proc/<pid>/stat`).
 * A different value for the same pid later means the pid now belongs to another process.
 */
export async function processStartTime(pid: number, procRoot = '/proc'): Promise<bigint> {
  checkPid(pid);
  let text: string;
  try {
    text = await readFile(`${procRoot}/${pid}/stat`, 'utf8');
  } catch (err) {
    throw statError(pid, err);
  }
  return parseStartTime(text, pid);
}

/**
 * {@link processStartTime} without waiting: for the moment a connection is accepted, when the
 * answer must describe the process that connected, not whichever holds the pid a tick later.
 * `read` reads the stat file (default: a fresh open and read; a `ProcFileReader` keeps it open).
 */
export function processStartTimeSync(
  pid: number,
  procRoot = '/proc',
  read: (path: string) => string = readProcFileSync,
): bigint {
  checkPid(pid);
  let text: string;
  try {
    text = read(`${procRoot}/${pid}/stat`);
  } catch (err) {
    throw statError(pid, err);
  }
  return parseStartTime(text, pid);
}

function checkPid(pid: number): void {
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new PeerCredError(
      PeerCredErrorCode.InvalidPid,
      `pid must be a positive integer, got ${pid}`,
    );
  }
}

function statError(pid: number, err: unknown): PeerCredError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ESRCH') {
    return new PeerCredError(PeerCredErrorCode.ProcessGone, `process ${pid} no longer exists`, {
      cause: err,
    });
  }
  return new PeerCredError(PeerCredErrorCode.ProcStat, `failed to read stat of process ${pid}`, {
    cause: err,
  });
}

/** Extracts the start time from the text of a `/proc/<pid>/stat` file. */
export function parseStartTime(text: string, pid: number): bigint {
  // comm (field 2) is in parentheses and may itself contain spaces and ')': cut at the last one.
  const close = text.lastIndexOf(')');
  const field = close < 0 ? undefined : nthField(text, close + 1, STARTTIME_AFTER_COMM);
  if (field === undefined || !/^\d+$/.test(field)) {
    throw new PeerCredError(
      PeerCredErrorCode.ProcStat,
      `stat of process ${pid} has no numeric starttime in field 22`,
    );
  }
  return BigInt(field);
}

// The whitespace-separated field `n` (from 0) of text[from..], or undefined: found by scanning,
// without splitting the whole line into strings (this runs on every Workload API call).
function nthField(text: string, from: number, n: number): string | undefined {
  let i = from;
  for (let field = 0; ; field++) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (i === text.length) return undefined;
    const start = i;
    while (i < text.length && !isSpace(text.charCodeAt(i))) i++;
    if (field === n) return text.slice(start, i);
  }
}

// What /\s/ matched in the ASCII range: space, tab, newline, vertical tab, form feed, return.
function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}
