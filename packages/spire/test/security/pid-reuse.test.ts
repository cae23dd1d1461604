/**
 * PID reuse between connect() and the first call (field notes §4.3: "PID reuse must be
 * detected"; SPIRE's peertracker reads the process start time when it accepts the connection).
 * SO_PEERCRED records the pid at connect; if the start time is first read at the first call, a
 * process can connect, hand the socket to a child, exit, and wait for a privileged workload to
 * be given its pid: the first call then attests the victim and pins the victim's start time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CallerAttestationErrorCode, CallerAttestor } from '../../src/agent/endpoints/index.js';
import type { PeerInfo } from '../../src/common/grpc/index.js';
import {
  type AcceptedStartTime,
  acceptedStartTime,
  peerCredentials,
} from '../../src/common/peercred/index.js';

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
