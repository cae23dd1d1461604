import { SpiffeError } from '@spire-ts/spiffe';

/** Stable codes of peer-credential errors. */
export const PeerCredErrorCode = {
  /** The platform has no SO_PEERCRED (only Linux is supported). */
  Unsupported: 'ERR_PEERCRED_UNSUPPORTED_PLATFORM',
  /** The socket is not a Unix-domain socket (SO_PEERCRED means nothing on TCP). */
  NotUnix: 'ERR_PEERCRED_NOT_UNIX_SOCKET',
  /** The socket exposes no file descriptor (not a Unix socket, or already closed). */
  NoFd: 'ERR_PEERCRED_NO_FD',
  /** The kernel refused the getsockopt(SO_PEERCRED) call. */
  Getsockopt: 'ERR_PEERCRED_GETSOCKOPT',
  /** The pid argument is not a positive integer. */
  InvalidPid: 'ERR_PEERCRED_INVALID_PID',
  /** The process no longer exists (its /proc entry is gone). */
  ProcessGone: 'ERR_PEERCRED_PROCESS_GONE',
  /** /proc/<pid>/stat could not be read or parsed. */
  ProcStat: 'ERR_PEERCRED_PROC_STAT',
} as const;

/** One of the stable peer-credential error codes. */
export type PeerCredErrorCode = (typeof PeerCredErrorCode)[keyof typeof PeerCredErrorCode];

/** A failure to learn who is at the other end of a Unix socket, with an `ERR_PEERCRED_*` code. */
export class PeerCredError extends SpiffeError {
  declare readonly code: PeerCredErrorCode;

  constructor(code: PeerCredErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
