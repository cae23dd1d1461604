import { closeSync } from 'node:fs';
import { isSpiffeError } from '@spire-ts/spiffe';
import { PeerCredError, PeerCredErrorCode } from './errors.js';
import { pidfdHeld, pidfdOpen, readPeerCred, readPeerPidfd } from './libc.js';
import { processStartTimeSync } from './process-start-time.js';

/** Who is at the other end of a Unix socket, as the kernel recorded it when the peer connected. */
export interface PeerCredentials {
  /** Process id of the process that called connect(). */
  readonly pid: number;
  /** Its effective user id at connect time. */
  readonly uid: number;
  /** Its effective group id at connect time. */
  readonly gid: number;
}

/**
 * When the peer process started (clock ticks since boot) as read while its connection was
 * accepted; `'gone'` when it had already exited then.
 */
export type AcceptedStartTime = bigint | 'gone';

// Keyed by the credentials object peerCredentials returned, so its shape stays {pid, uid, gid}.
const acceptedStartTimes = new WeakMap<PeerCredentials, AcceptedStartTime>();

/**
 * The start time of the peer process read when {@link peerCredentials} was called on the
 * accepted socket, or undefined when /proc could not tell (or `credentials` came from elsewhere).
 * A later start time for the same pid means the pid now names another process (PID reuse).
 */
export function acceptedStartTime(credentials: PeerCredentials): AcceptedStartTime | undefined {
  return acceptedStartTimes.get(credentials);
}

/** The connection's pidfd (see withStartTime), kept until {@link releasePeerCredentials}. */
interface HeldPidfd {
  readonly fd: number;
  open: boolean;
}

const acceptedPidfds = new WeakMap<PeerCredentials, HeldPidfd>();

/**
 * Whether the connection's process still holds its pid: the process that connected (the
 * socket's own pidfd, SO_PEERPIDFD, Linux 6.5+), or on older kernels the one that held the pid
 * when the connection was accepted (pidfd_open(2)). `true` proves that the pid has named that
 * process all along, so anything read from /proc/<pid> before this check describes it. `false`
 * when it has been reaped (or the connection was released); `undefined` when the connection has
 * no pidfd (a kernel before 5.3, seccomp, `credentials` from elsewhere): then compare start
 * times.
 */
export function peerProcessHeld(credentials: PeerCredentials): boolean | undefined {
  const held = acceptedPidfds.get(credentials);
  if (held === undefined) return undefined;
  return held.open && pidfdHeld(held.fd);
}

/** Closes the pidfd kept for a connection's peer; call once the connection has closed. */
export function releasePeerCredentials(credentials: PeerCredentials): void {
  const held = acceptedPidfds.get(credentials);
  if (!held?.open) return;
  held.open = false;
  try {
    closeSync(held.fd);
  } catch {
    // Already closed: nothing to give back.
  }
}

/** Anything that carries a libuv handle with a file descriptor, as `net.Socket` does. */
interface HandleHolder {
  readonly _handle?: {
    readonly fd?: unknown;
    readonly constructor?: { readonly name?: string };
  } | null;
}

// libuv wraps Unix-domain sockets in a `Pipe` handle and TCP sockets in a `TCP` handle.
const UNIX_HANDLE = 'Pipe';

/**
 * Returns the kernel-verified credentials of the peer of an accepted Unix-socket connection,
 * read with `getsockopt(SO_PEERCRED)` on its file descriptor. Linux only.
 *
 * The pid may be reused once the peer exits: the peer's start time is read at once (see
 * {@link acceptedStartTime}); compare it with {@link processStartTime} after using the pid
 * (SPIRE's peertracker does the same).
 */
export function peerCredentials(socket: object): PeerCredentials {
  const handle = (socket as HandleHolder)._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) {
    throw new PeerCredError(
      PeerCredErrorCode.NoFd,
      'socket has no file descriptor: peer credentials need an open, accepted unix socket',
    );
  }
  if (handle?.constructor?.name !== UNIX_HANDLE) {
    // On a TCP socket Linux answers SO_PEERCRED with pid 0 and the overflow uid: never trust that.
    throw new PeerCredError(
      PeerCredErrorCode.NotUnix,
      'socket is not a unix socket: peer credentials exist only for unix-domain connections',
    );
  }

  const cred = readPeerCred(fd);
  if (cred.pid <= 0) {
    throw new PeerCredError(
      PeerCredErrorCode.Getsockopt,
      'kernel reported no peer process for the socket: the peer must connect() from a process',
    );
  }
  return withStartTime(cred, fd);
}

// Read now, not at the first call: the time between connect() and the first call is the
// caller's to choose, long enough for its pid to be given to another process (PID reuse). The
// pidfd comes first, so the start time read after it is of the process it holds, or the pidfd
// reports that process gone at the first check. The socket's own pidfd (SO_PEERPIDFD) names
// the process that connected even when the agent accepts late; pidfd_open on the pid (kernels
// 5.3 to 6.4) names whichever process holds the pid at accept, as the start time read does.
function withStartTime(cred: PeerCredentials, socketFd: number): PeerCredentials {
  let pidfd = readPeerPidfd(socketFd);
  if (pidfd === 'unsupported') pidfd = pidfdOpen(cred.pid);
  if (pidfd === 'gone') {
    acceptedStartTimes.set(cred, 'gone');
    return cred;
  }
  if (pidfd !== 'unsupported') acceptedPidfds.set(cred, { fd: pidfd.fd, open: true });
  try {
    acceptedStartTimes.set(cred, processStartTimeSync(cred.pid));
  } catch (err) {
    if (isSpiffeError(err, PeerCredErrorCode.ProcessGone)) acceptedStartTimes.set(cred, 'gone');
  }
  return cred;
}
