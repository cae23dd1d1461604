/**
 * PID reuse between connect() and the first call (field notes §4.3: "PID reuse must be
 * detected"; SPIRE's peertracker reads the process start time when it accepts the connection).
 * SO_PEERCRED records the pid at connect; if the start time is first read at the first call, a
 * process can connect, hand the socket to a child, exit, and wait for a privileged workload to
 * be given its pid: the first call then attests the victim and pins the victim's start time.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { CallerAttestationErrorCode, CallerAttestor } from '../../src/agent/endpoints/index.js';
import type { PeerInfo } from '../../src/common/grpc/index.js';
import {
  type AcceptedStartTime,
  acceptedStartTime,
  type PeerCredentials,
  peerCredentials,
  peerProcessHeld,
  releasePeerCredentials,
} from '../../src/common/peercred/index.js';
import { bindPidfdCalls, readPeerPidfd } from '../../src/common/peercred/libc.js';
import { spawnHandingConnector } from '../common/peercred/support/handing-connector.js';

const unix = { name: 'unix', attest: async () => ['uid:0'] };

/** An attestor whose connection was accepted at `accepted` and whose pid now reads `now`. */
function attestorWith(accepted: AcceptedStartTime, now: bigint): CallerAttestor {
  return new CallerAttestor({
    attestors: [unix],
    acceptedStartTime: () => accepted,
    startTime: async () => now,
  });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('PID-reuse guard from connect time', () => {
  it('the first call is refused when the pid names another process than at connect', async () => {
    // At connect the pid named a process that started at tick 7; by the first call it is a
    // process that started at tick 9 (the victim), and stays so through attestation.
    const peer: PeerInfo = {
      transport: 'unix',
      credentials: { pid: 4242, uid: 1000, gid: 100 },
    };
    const attestor = attestorWith(7n, 9n);

    expect(await codeOf(attestor.attest(peer))).toBe(CallerAttestationErrorCode.CallerChanged);
  });

  it('the first call is refused when the caller had already exited at connect', async () => {
    const peer: PeerInfo = {
      transport: 'unix',
      credentials: { pid: 4242, uid: 1000, gid: 100 },
    };
    const attestor = attestorWith('gone', 9n);

    expect(await codeOf(attestor.attest(peer))).toBe(CallerAttestationErrorCode.CallerChanged);
  });

  it('the connect-time start time is accepted when the process is unchanged', async () => {
    const peer: PeerInfo = {
      transport: 'unix',
      credentials: { pid: 4242, uid: 1000, gid: 100 },
    };
    const attestor = attestorWith(7n, 7n);

    expect((await attestor.attest(peer)).selectors).toEqual([{ type: 'unix', value: 'uid:0' }]);
  });

  it('peerCredentials reads the start time of the connecting process when the socket is accepted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sec-pidreuse-'));
    const path = join(dir, 's.sock');
    const accepted = new Promise<net.Socket>((resolve) => {
      const server = net.createServer((s) => {
        resolve(s);
        server.close();
      });
      server.listen(path);
    });
    const client = net.connect(path);
    try {
      const cred = peerCredentials(await accepted);
      const at = acceptedStartTime(cred);
      const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
      const own = BigInt(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '');
      expect({ ...cred, at }).toEqual({
        pid: process.pid,
        uid: process.getuid?.(),
        gid: process.getgid?.(),
        at: own,
      });
    } finally {
      client.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The pidfd kept from connect time (pidfd_open(2), Linux 5.3+): the per-call proof that the pid
 * still names the process that connected. A pid is free for reuse only once its process has been
 * reaped, and from then on the pidfd reports the process gone, so a connection whose process
 * has handed its socket on and exited is refused even before another process takes its pid.
 */
/** pidfds are used on Linux x64 and arm64 (peercred/libc.ts). */
const linux = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64');

/** A Unix socket server in a fresh directory, and its first accepted connection. */
async function listening() {
  const dir = mkdtempSync(join(tmpdir(), 'sec-pidfd-'));
  const path = join(dir, 's.sock');
  const server = net.createServer();
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  server.listen(path);
  await once(server, 'listening');
  return { dir, path, server, accepted };
}

describe('PID-reuse guard with a pidfd from connect time', () => {
  it.skipIf(!linux)(
    'holds while the connecting process lives; fails once it has exited and been reaped, though its socket lives on in a child',
    async () => {
      const { dir, path, server, accepted } = await listening();
      // The connector waits for one byte, forks a child that keeps the socket, and exits.
      const connector = spawnHandingConnector(path, true);
      try {
        const [socket] = await accepted;
        const cred = peerCredentials(socket);
        expect(cred.pid).toBe(connector.pid);
        expect(peerProcessHeld(cred)).toBe(true);

        socket.write('x');
        await once(connector, 'exit'); // exited, and reaped by Node
        expect(peerProcessHeld(cred)).toBe(false);
        expect(socket.destroyed).toBe(false); // the child still holds the connection

        // The caller attestor refuses the connection without reading /proc again.
        let startTimeReads = 0;
        const attestor = new CallerAttestor({
          attestors: [unix],
          startTime: async () => {
            startTimeReads++;
            return acceptedStartTime(cred) as bigint;
          },
        });
        const peer: PeerInfo = { transport: 'unix', credentials: cred };
        expect(await codeOf(attestor.attest(peer))).toBe(CallerAttestationErrorCode.CallerChanged);
        expect(startTimeReads).toBe(0);
        socket.destroy();
      } finally {
        connector.kill('SIGKILL');
        server.close();
        spawnSync('pkill', ['-f', path]);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!linux)(
    'is released with the connection: the pidfd is closed and holds nothing',
    async () => {
      const { dir, path, server, accepted } = await listening();
      const client = net.connect(path);
      try {
        const [socket] = await accepted;
        const cred = peerCredentials(socket);
        const before = readdirSync('/proc/self/fd').length;
        expect(peerProcessHeld(cred)).toBe(true);
        releasePeerCredentials(cred);
        releasePeerCredentials(cred); // twice is harmless: never closes another descriptor
        expect(peerProcessHeld(cred)).toBe(false);
        expect(readdirSync('/proc/self/fd').length).toBe(before - 1);
      } finally {
        client.destroy();
        server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('without a pidfd (credentials from elsewhere) the start time is compared instead', async () => {
    const peer: PeerInfo = { transport: 'unix', credentials: { pid: 4242, uid: 1000, gid: 100 } };
    expect(peerProcessHeld(peer.credentials as PeerCredentials)).toBeUndefined();
    expect(await codeOf(attestorWith(7n, 9n).attest(peer))).toBe(
      CallerAttestationErrorCode.CallerChanged,
    );
    expect(await codeOf(attestorWith(7n, 7n).attest(peer))).toBe('resolved');
  });

  it('a held pidfd answers the check: the start time is not read again on any call', async () => {
    let reads = 0;
    const attestor = new CallerAttestor({
      attestors: [unix],
      acceptedStartTime: () => 7n,
      startTime: async () => {
        reads++;
        return 9n; // would be refused, were it read
      },
      processHeld: () => true,
    });
    const peer: PeerInfo = { transport: 'unix', credentials: { pid: 4242, uid: 1000, gid: 100 } };
    expect(await codeOf(attestor.attest(peer))).toBe('resolved');
    expect(await codeOf(attestor.attest(peer))).toBe('resolved');
    expect(reads).toBe(0);
  });
});

describe('pidfd calls: glibc wrappers and the syscall(2) fallback answer alike', () => {
  for (const via of ['wrappers', 'syscall'] as const) {
    it.skipIf(!linux)(
      `${via}: open this process, signal 0 succeeds; an unused pid is ESRCH`,
      () => {
        const calls = bindPidfdCalls(via);
        const fd = calls.open(process.pid);
        try {
          expect(fd).toBeGreaterThanOrEqual(0);
          expect(calls.signal(fd, 0)).toBe(0);
        } finally {
          closeSync(fd);
        }
        // pid_max is at most 2^22 on Linux: this pid is never in use.
        expect([calls.open(4_194_305), koffi.errno()]).toEqual([-1, 3]);
      },
    );
  }
});

const ACCEPT_RACE = fileURLToPath(
  new URL('../common/peercred/support/accept-race.ts', import.meta.url),
);

/** A pid namespace of our own, where ns_last_pid can hand a pid out again: root and util-linux. */
const canReusePids =
  linux &&
  process.getuid?.() === 0 &&
  spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

/** True, with a visible message, when this kernel has no SO_PEERPIDFD (before 6.5). */
async function socketPidfdMissing(): Promise<boolean> {
  if (await socketPidfdSupported()) return false;
  console.warn('SO_PEERPIDFD not supported by this kernel (before 6.5): case skipped');
  return true;
}

/** SO_PEERPIDFD (Linux 6.5+) on an accepted socket of this process. */
async function socketPidfdSupported(): Promise<boolean> {
  const { dir, path, server, accepted } = await listening();
  const client = net.connect(path);
  try {
    const [socket] = await accepted;
    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    const pidfd = readPeerPidfd(fd);
    if (typeof pidfd === 'object') closeSync(pidfd.fd);
    return typeof pidfd === 'object';
  } finally {
    client.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the connection accepted late (an agent slow to accept)', () => {
  it.skipIf(!linux)(
    "SO_PEERPIDFD: the accepted socket's pidfd names the connecting process, close-on-exec",
    async () => {
      if (await socketPidfdMissing()) return;
      const { dir, path, server, accepted } = await listening();
      const client = net.connect(path);
      try {
        const [socket] = await accepted;
        const pidfd = readPeerPidfd((socket as unknown as { _handle: { fd: number } })._handle.fd);
        if (typeof pidfd !== 'object') throw new Error(`no pidfd: ${pidfd}`);
        const info = readFileSync(`/proc/self/fdinfo/${pidfd.fd}`, 'utf8');
        closeSync(pidfd.fd);
        expect(info).toMatch(new RegExp(`^Pid:\\t${process.pid}$`, 'm'));
        const flags = Number.parseInt(/^flags:\s+(\d+)$/m.exec(info)?.[1] ?? '0', 8);
        expect(flags & 0o2000000).toBe(0o2000000); // O_CLOEXEC
      } finally {
        client.destroy();
        server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!canReusePids)(
    'the pid reused before the server reads the credentials: refused, never the new process (own pid namespace)',
    async () => {
      if (await socketPidfdMissing()) return;
      const run = spawnSync(
        'unshare',
        ['--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', ACCEPT_RACE],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(run.stderr).toBe('');
      const seen = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(seen.victim).toBe(seen.pid);
      expect(seen.credentialsPid).toBe(seen.pid);
      // The socket's pidfd names the reaped connector (held false), or the kernel reports it gone
      // at accept; either way never the process that was given its pid.
      expect(seen.held).not.toBe('true');
      expect(seen.attest).toBe(CallerAttestationErrorCode.CallerChanged);
    },
  );
});
