import koffi from 'koffi';
import { optionalBinding, requireGlibc } from '../native/glibc.js';
import { PeerCredError, PeerCredErrorCode } from './errors.js';

// <sys/socket.h> on Linux (x86, x86-64, arm, arm64, riscv): SOL_SOCKET = 1, SO_PEERCRED = 17.
const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
// Linux 6.5+: a pidfd of the process that connected, taken from the socket itself.
const SO_PEERPIDFD = 77;

/** The kernel's `struct ucred` as read from the socket. */
export interface Ucred {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

type Getsockopt = (fd: number, level: number, name: number, out: Ucred, len: number[]) => number;
type GetsockoptInt = (
  fd: number,
  level: number,
  name: number,
  out: number[],
  len: number[],
) => number;

/** getsockopt with a `struct ucred` result (SO_PEERCRED), bound on first use. */
const ucredGetsockopt = optionalBinding(() => {
  const ucred = koffi.struct('spire_ucred', { pid: 'int32', uid: 'uint32', gid: 'uint32' });
  return requireGlibc().func('getsockopt', 'int', [
    'int',
    'int',
    'int',
    koffi.out(koffi.pointer(ucred)),
    koffi.inout(koffi.pointer('uint32')),
  ]) as Getsockopt;
});

function bind(): Getsockopt {
  const fn = ucredGetsockopt();
  if (fn) return fn;
  throw new PeerCredError(
    PeerCredErrorCode.Unsupported,
    process.platform === 'linux'
      ? 'peer credentials need glibc (libc.so.6), which this process cannot load'
      : `peer credentials are supported on linux only, not on ${process.platform}`,
  );
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

// pidfd_open(2) and pidfd_send_signal(2), Linux 5.3+: glibc's wrappers (2.36+), else syscall(2)
// with the numbers of the kernel's unified syscall table, the same on x86-64 and arm64 (and every
// architecture since 5.1); other architectures go without pidfds.
const SYS_PIDFD_SEND_SIGNAL = 424;
const SYS_PIDFD_OPEN = 434;
const PIDFD_ARCHES: ReadonlySet<string> = new Set(['x64', 'arm64']);
const ESRCH = 3;
const EPERM = 1;

/** The two calls, each returning the kernel's answer (-1 with errno set on failure). */
export interface PidfdCalls {
  open(pid: number): number;
  signal(fd: number, sig: number): number;
}

/** Bound on first use; `null` where pidfds cannot be used (not Linux, another architecture). */
const bindPidfd = optionalBinding((): PidfdCalls => {
  if (!PIDFD_ARCHES.has(process.arch)) throw new Error(`no pidfds on ${process.arch}`);
  try {
    // The wrappers cost about half of a variadic syscall() call through koffi (1.1 vs 1.9 us).
    return bindPidfdCalls('wrappers');
  } catch {
    return bindPidfdCalls('syscall');
  }
});

/** Binds the calls through glibc's wrappers or through syscall(2); throws where it cannot. */
export function bindPidfdCalls(via: 'wrappers' | 'syscall'): PidfdCalls {
  const libc = requireGlibc();
  if (via === 'wrappers') {
    const open = libc.func('int pidfd_open(int pid, unsigned int flags)');
    const signal = libc.func(
      'int pidfd_send_signal(int pidfd, int sig, void *info, unsigned int flags)',
    );
    return {
      open: (pid) => open(pid, 0) as number,
      signal: (fd, sig) => signal(fd, sig, null, 0) as number,
    };
  }
  const syscall = libc.func('long syscall(long number, ...)');
  return {
    open: (pid) => Number(syscall(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', 0)),
    signal: (fd, sig) =>
      Number(
        syscall(SYS_PIDFD_SEND_SIGNAL, 'int', fd, 'int', sig, 'void *', null, 'unsigned int', 0),
      ),
  };
}

/** What {@link pidfdOpen} found: a descriptor, the process already gone, or no pidfd support. */
export type PidfdOpened = { readonly fd: number } | 'gone' | 'unsupported';

/**
 * A pidfd for process `pid` (pidfd_open(2)): a handle on that very process, which no later
 * process given the same pid can take over. `'gone'` when no process has the pid;
 * `'unsupported'` when the kernel (before 5.3), a seccomp filter or the platform refuses.
 */
export function pidfdOpen(pid: number): PidfdOpened {
  const calls = bindPidfd();
  if (!calls) return 'unsupported';
  const fd = calls.open(pid);
  if (fd >= 0) return { fd };
  return koffi.errno() === ESRCH ? 'gone' : 'unsupported';
}

/**
 * Whether the process of pidfd `fd` still holds its pid: it has not been reaped, so its pid
 * cannot name another process (pidfd_send_signal(2) with signal 0 checks existence only; EPERM
 * means it exists but is not ours to signal). Any other answer is `false`: fail closed.
 */
export function pidfdHeld(fd: number): boolean {
  const calls = bindPidfd();
  if (!calls) return false;
  const r = calls.signal(fd, 0);
  return r === 0 || koffi.errno() === EPERM;
}

/** getsockopt with an int result, bound on first use; `null` where it cannot be. */
const bindGetsockoptInt = optionalBinding(() => {
  if (!PIDFD_ARCHES.has(process.arch)) throw new Error(`no pidfds on ${process.arch}`);
  return requireGlibc().func('getsockopt', 'int', [
    'int',
    'int',
    'int',
    koffi.out(koffi.pointer('int')),
    koffi.inout(koffi.pointer('uint32')),
  ]) as GetsockoptInt;
});

/**
 * A pidfd of the process that connected to the Unix socket `fd` (SO_PEERPIDFD, Linux 6.5+): the
 * kernel took it at connect, so unlike pidfd_open on SO_PEERCRED's pid it cannot name a process
 * that was given that pid after the connector was reaped. `'gone'` when the connector has been
 * reaped; `'unsupported'` on an older kernel (ENOPROTOOPT) or any other refusal.
 */
export function readPeerPidfd(fd: number): PidfdOpened {
  const call = bindGetsockoptInt();
  if (!call) return 'unsupported';
  const out = [-1];
  const len = [4];
  if (call(fd, SOL_SOCKET, SO_PEERPIDFD, out, len) === 0 && (out[0] ?? -1) >= 0) {
    return { fd: out[0] as number };
  }
  return koffi.errno() === ESRCH ? 'gone' : 'unsupported';
}
