import koffi from 'koffi';

import { PeerCredError, PeerCredErrorCode } from './errors.js';

// <sys/socket.h> on Linux (x86, x86-64, arm, arm64, riscv): SOL_SOCKET = 1, SO_PEERCRED = 17.
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

/** The kernel's `struct ucred` as read from the socket. */
export interface Ucred {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

type Getsockopt = (fd: number, level: number, name: number, out: Ucred, len: number[]) => number;

let getsockopt: Getsockopt | undefined;

/** Binds libc's getsockopt once, on first use (never at import time). */
function bind(): Getsockopt {
  if (getsockopt) return getsockopt;
  if (process.platform !== 'linux') {
    throw new PeerCredError(
      PeerCredErrorCode.Unsupported,
      `peer credentials are supported on linux only, not on ${process.platform}`,
    );
  }

  const libc = koffi.load('libc.so.6');
  const ucred = koffi.struct('spire_ucred', { pid: 'int32', uid: 'uint32', gid: 'uint32' });
  const fn = libc.func('getsockopt', 'int', [
    'int',
    'int',
    'int',
    koffi.out(koffi.pointer(ucred)),
    koffi.inout(koffi.pointer('uint32')),
  ]);
  getsockopt = fn as Getsockopt;
  return getsockopt;
}

/** Reads SO_PEERCRED of the connected Unix socket `fd`: the peer's pid, uid and gid at connect. */
export function readPeerCred(fd: number): Ucred {
  const call = bind();
  const out = { pid: 0, uid: 0, gid: 0 };
  const len = [12];

  if (call(fd, SOL_SOCKET, SO_PEERCRED, out, len) !== 0) {
    const errno = koffi.errno();
    throw new PeerCredError(
      PeerCredErrorCode.Getsockopt,
      `getsockopt(SO_PEERCRED) failed on fd ${fd} with errno ${errno}: the socket must be a connected unix socket`,
    );
  }
  return { pid: out.pid, uid: out.uid, gid: out.gid };
}

// pidfd_open(2) and pidfd_send_signal(2), Linux 5.3+, called through syscall(2): glibc has
// wrappers only since 2.36. Numbers from the kernel's unified syscall table, the same on x86-64
// and arm64 (and every architecture since 5.1); other architectures go without pidfds.
const SYS_PIDFD_SEND_SIGNAL = 424;
const SYS_PIDFD_OPEN = 434;
const PIDFD_ARCHES: ReadonlySet<string> = new Set(['x64', 'arm64']);
const ESRCH = 3;
const EPERM = 1;

type Syscall = (number: number, ...typedArgs: unknown[]) => number | bigint;

/** Bound once; `null` where pidfds cannot be used (not Linux, another architecture). */
let syscall: Syscall | null | undefined;

function bindSyscall(): Syscall | null {
  if (syscall !== undefined) return syscall;
  syscall = null;
  if (process.platform !== 'linux' || !PIDFD_ARCHES.has(process.arch)) return null;
  try {
    syscall = koffi.load('libc.so.6').func('long syscall(long number, ...)') as Syscall;
  } catch {
    // No glibc: go without pidfds.
  }
  return syscall;
}

/** What {@link pidfdOpen} found: a descriptor, the process already gone, or no pidfd support. */
export type PidfdOpened = { readonly fd: number } | 'gone' | 'unsupported';

/**
 * A pidfd for process `pid` (pidfd_open(2)): a handle on that very process, which no later
 * process given the same pid can take over. `'gone'` when no process has the pid;
 * `'unsupported'` when the kernel (before 5.3), a seccomp filter or the platform refuses.
 */
export function pidfdOpen(pid: number): PidfdOpened {
  const call = bindSyscall();
  if (!call) return 'unsupported';
  const fd = Number(call(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', 0));
  if (fd >= 0) return { fd };
  return koffi.errno() === ESRCH ? 'gone' : 'unsupported';
}

/**
 * Whether the process of pidfd `fd` still holds its pid: it has not been reaped, so its pid
 * cannot name another process (pidfd_send_signal(2) with signal 0 checks existence only; EPERM
 * means it exists but is not ours to signal). Any other answer is `false`: fail closed.
 */
export function pidfdHeld(fd: number): boolean {
  const call = bindSyscall();
  if (!call) return false;
  const r = Number(
    call(SYS_PIDFD_SEND_SIGNAL, 'int', fd, 'int', 0, 'void *', null, 'unsigned int', 0),
  );
  return r === 0 || koffi.errno() === EPERM;
}
