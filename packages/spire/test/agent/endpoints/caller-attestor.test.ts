import { describe, expect, it } from 'vitest';
import { CallerAttestationErrorCode, CallerAttestor } from '../../../src/agent/endpoints/index.js';
import type { WorkloadAttestor } from '../../../src/agent/plugin/workloadattestor/workload-attestor.js';
import type { PeerInfo } from '../../../src/common/grpc/index.js';
import { PeerCredError, PeerCredErrorCode } from '../../../src/common/peercred/index.js';

const peer = (pid = 4242): PeerInfo => ({
  transport: 'unix',
  credentials: { pid, uid: 1000, gid: 100 },
});

const fixed = (name: string, values: string[]): WorkloadAttestor => ({
  name,
  attest: async () => values,
});

/** Start times returned in order, one per lookup; `gone` makes that lookup fail as ESRCH. */
function startTimes(...seq: (bigint | 'gone')[]) {
  const calls: number[] = [];
  const lookup = async (pid: number) => {
    calls.push(pid);
    const next = seq.shift();
    if (next === undefined) throw new Error('unexpected start-time lookup');
    if (next === 'gone') {
      throw new PeerCredError(PeerCredErrorCode.ProcessGone, `process ${pid} no longer exists`);
    }
    return next;
  };
  return { lookup, calls };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'resolved';
}

describe('CallerAttestor', () => {
  it('runs every attestor on the kernel pid and types selectors by plugin name', async () => {
    const seen: number[] = [];
    const unix: WorkloadAttestor = {
      name: 'unix',
      attest: async (pid) => {
        seen.push(pid);
        return ['uid:1000', 'gid:100'];
      },
    };
    const times = startTimes(7n, 7n);
    const attestor = new CallerAttestor({
      attestors: [unix, fixed('docker', ['label:app:web'])],
      startTime: times.lookup,
    });

    const caller = await attestor.attest(peer());

    expect(caller).toEqual({
      pid: 4242,
      uid: 1000,
      gid: 100,
      selectors: [
        { type: 'unix', value: 'uid:1000' },
        { type: 'unix', value: 'gid:100' },
        { type: 'docker', value: 'label:app:web' },
      ],
    });
    expect(seen).toEqual([4242]);
    expect(times.calls).toEqual([4242, 4242]);
  });

  it.each<[string, PeerInfo | undefined]>([
    ['no peer information', undefined],
    [
      'a tcp caller',
      { transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 1, certificates: [] },
    ],
    [
      'a unix caller whose credentials could not be read',
      { transport: 'unix', credentials: undefined, error: new Error('EBADF') },
    ],
  ])('refuses %s with NO_CREDENTIALS', async (_name, info) => {
    const attestor = new CallerAttestor({ attestors: [], startTime: startTimes().lookup });

    expect(await codeOf(attestor.attest(info))).toBe(CallerAttestationErrorCode.NoCredentials);
  });

  it.each<[string, (bigint | 'gone')[]]>([
    ['the pid names a process that started later (PID reuse during attestation)', [7n, 9n]],
    ['the caller exited during attestation', [7n, 'gone']],
    ['the caller exited before attestation', ['gone']],
  ])('PID-reuse guard: refuses when %s', async (_name, seq) => {
    const attestor = new CallerAttestor({
      attestors: [fixed('unix', ['uid:1000'])],
      startTime: startTimes(...seq).lookup,
    });

    expect(await codeOf(attestor.attest(peer()))).toBe(CallerAttestationErrorCode.CallerChanged);
  });

  it('PID-reuse guard: a later call on the same connection from a new process is refused', async () => {
    const attestor = new CallerAttestor({
      attestors: [fixed('unix', ['uid:1000'])],
      startTime: startTimes(7n, 7n, 8n).lookup,
    });
    const connection = peer();

    await attestor.attest(connection);

    expect(await codeOf(attestor.attest(connection))).toBe(
      CallerAttestationErrorCode.CallerChanged,
    );
  });

  it('a later call on the same connection reads the start time once, after attestation', async () => {
    const times = startTimes(7n, 7n, 7n);
    const attestor = new CallerAttestor({
      attestors: [fixed('unix', ['uid:1000'])],
      startTime: times.lookup,
    });
    const connection = peer();

    await attestor.attest(connection);
    await attestor.attest(connection);

    expect(times.calls).toEqual([4242, 4242, 4242]);
  });

  it('a failing attestor fails the attestation, naming the plugin', async () => {
    const broken: WorkloadAttestor = {
      name: 'docker',
      attest: async () => {
        throw new Error('daemon unreachable');
      },
    };
    const attestor = new CallerAttestor({
      attestors: [fixed('unix', ['uid:1000']), broken],
      startTime: startTimes(7n, 7n).lookup,
    });

    const err = (await attestor.attest(peer()).catch((e: unknown) => e)) as Error & {
      code: string;
    };

    expect(err.code).toBe(CallerAttestationErrorCode.AttestorFailed);
    expect(err.message).toBe('workload attestor "docker" failed for process 4242');
  });

  it('reads the real start time of this process by default', async () => {
    const attestor = new CallerAttestor({ attestors: [fixed('unix', ['uid:0'])] });

    const caller = await attestor.attest(peer(process.pid));

    expect(caller.selectors).toEqual([{ type: 'unix', value: 'uid:0' }]);
  });
});
