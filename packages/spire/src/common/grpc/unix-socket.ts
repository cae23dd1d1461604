import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';

import { GrpcServerError, GrpcServerErrorCode } from './errors.js';

/** How long {@link prepareSocketPath} waits for a process behind an existing socket to answer. */
const LIVENESS_PROBE_MS = 1_000;

/**
 * Makes `path` ready to listen on: creates its parent folder (with `dirMode`) when missing and
 * removes a stale socket left by an earlier run. Refuses to remove anything that is not a socket,
 * and a socket some process still listens on (a second server or agent started by mistake must
 * not cut the running one off from its clients).
 */
export async function prepareSocketPath(path: string, dirMode: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: dirMode });

  let stat: ReturnType<typeof lstatSync> | undefined;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) {
    throw new GrpcServerError(
      GrpcServerErrorCode.PathNotSocket,
      `socket path ${path} exists and is not a socket: remove it or choose another path`,
    );
  }
  if (await listenedOn(path)) {
    throw new GrpcServerError(
      GrpcServerErrorCode.SocketInUse,
      `socket path ${path} is in use by a running process: stop that process or choose another socket path`,
    );
  }
  rmSync(path, { force: true });
}

/**
 * Whether a process accepts connections on the socket at `path`. Only a refused connection (or
 * a socket that vanished) means stale; a process that does not answer within the probe time is
 * taken as alive, since removing its socket would be the worse mistake.
 */
function listenedOn(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), LIVENESS_PROBE_MS);
    socket.once('connect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'),
    );
  });
}

/**
 * Runs `listen` (which must bind synchronously) under a umask that creates the socket with
 * exactly `mode`, then sets `mode` again: no wider permission exists even for an instant.
 */
export function bindWithMode(path: string, mode: number, listen: () => void): void {
  let previous: number | undefined;
  try {
    previous = process.umask(~mode & 0o777);
  } catch {
    // Worker threads may not change the umask; the chmod below still applies the mode.
  }
  try {
    listen();
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
  try {
    chmodSync(path, mode);
  } catch (err) {
    // No file means the bind failed; the server's 'error' event reports why.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Removes the socket file at `path` if one is still there after the server closed. */
export function removeSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) rmSync(path, { force: true });
  } catch {
    // Already gone.
  }
}
