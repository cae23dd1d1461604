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
