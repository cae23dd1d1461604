import { chmodSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

import { GrpcServerError, GrpcServerErrorCode } from './errors.js';

/**
 * Makes `path` ready to listen on: creates its parent folder (with `dirMode`) when missing and
 * removes a stale socket left by an earlier run. Refuses to remove anything that is not a socket.
 */
export function prepareSocketPath(path: string, dirMode: number): void {
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
  rmSync(path, { force: true });
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
