import { isSpiffeError } from '@spire-ts/spiffe';
import type { PeerInfo } from '../../../common/grpc/index.js';
import {
  type AcceptedStartTime,
  acceptedStartTime,
  PeerCredErrorCode,
  type PeerCredentials,
  ProcFileReader,
  peerProcessHeld,
  processStartTimeSync,
} from '../../../common/peercred/index.js';
import type { WorkloadSelector } from '../../manager/workload-view.js';
import type { WorkloadAttestor } from '../../plugin/workloadattestor/workload-attestor.js';
import { CallerAttestationError, CallerAttestationErrorCode } from './errors.js';

/** A workload whose kernel-verified process has been attested. */
export interface AttestedCaller {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
  /** Every attestor's selectors, typed by plugin name (`unix:uid:1000`), in attestor order. */
  readonly selectors: readonly WorkloadSelector[];
}

/** Options of {@link CallerAttestor}. */
export interface CallerAttestorOptions {
  /** The configured WorkloadAttestor plugins, all run on every call. */
  readonly attestors: readonly WorkloadAttestor[];
  /** When a process started (default: field 22 of `/proc/<pid>/stat`); injectable for tests. */
  readonly startTime?: (pid: number) => Promise<bigint>;
  /** The start time read when the connection was accepted (default: peercred's); for tests. */
  readonly acceptedStartTime?: (credentials: PeerCredentials) => AcceptedStartTime | undefined;
  /**
   * Whether the process accepted on the connection still holds its pid, from the pidfd kept
   * since (default: peercred's `peerProcessHeld`); `undefined` where there is no pidfd, and then
   * the start time is read again instead. For tests.
   */
  readonly processHeld?: (credentials: PeerCredentials) => boolean | undefined;
}

/**
 * The workload attestation pipeline of the agent's endpoints: the caller's pid from
 * SO_PEERCRED, that process's start time, the configured attestors run on the pid, and the start
 * time again. A process that exited or whose pid now names another process (PID reuse) is
 * refused, so selectors are never attributed to the wrong process (reference §4.2).
 */
export class CallerAttestor {
  readonly #attestors: readonly WorkloadAttestor[];
  readonly #startTime: (pid: number) => Promise<bigint>;
  readonly #acceptedStartTime: (c: PeerCredentials) => AcceptedStartTime | undefined;
  readonly #processHeld: (c: PeerCredentials) => boolean | undefined;
  // The start time seen on a connection's first call: later calls on it must come from the same
  // process, even if the first one exited and its pid was reused in between.
  readonly #pinned = new WeakMap<object, bigint>();
  // /proc/<pid>/stat of recent callers, kept open between calls (see ProcFileReader).
  readonly #proc = new ProcFileReader('/proc');

  constructor(options: CallerAttestorOptions) {
    this.#attestors = options.attestors;
    // A synchronous read of /proc/<pid>/stat: procfs answers from kernel memory, and one read
    // costs less than the four thread-pool round trips of an async readFile (issue 4).
    const read = (path: string) => this.#proc.read(path);
    this.#startTime =
      options.startTime ?? (async (pid) => processStartTimeSync(pid, '/proc', read));
    this.#acceptedStartTime = options.acceptedStartTime ?? acceptedStartTime;
    this.#processHeld = options.processHeld ?? peerProcessHeld;
  }

  /** Closes the /proc files kept open between calls; attesting again reopens them. */
  close(): void {
    this.#proc.close();
  }

  /** Attests the caller of one RPC; throws {@link CallerAttestationError} when it cannot. */
  async attest(peer: PeerInfo | undefined): Promise<AttestedCaller> {
    const credentials = peer?.transport === 'unix' ? peer.credentials : undefined;
    if (!peer || !credentials) {
      throw new CallerAttestationError(
        CallerAttestationErrorCode.NoCredentials,
        'caller has no kernel-verified credentials: the workload api serves unix sockets only',
        { cause: peer?.transport === 'unix' && 'error' in peer ? peer.error : undefined },
      );
    }
    const { pid, uid, gid } = credentials;

    // The start time read when the connection was accepted is pinned (else the first call's);
    // every call compares against it after attestation, which proves the pid still names the
    // process that connected, even if it exited and its pid was reused before the first call.
    let before = this.#pinned.get(peer);
    if (before === undefined) {
      const accepted = this.#acceptedStartTime(credentials);
      if (accepted === 'gone') throw callerChanged(pid);
      before = accepted ?? (await this.#callerStartTime(pid));
      this.#pinned.set(peer, before);
    }

    const selectors = await this.#runAttestors(pid);

    // The pid must still name the process that connected, or the selectors describe another.
    // With a pidfd from connect time one syscall proves it (the process has not been reaped, so
    // its pid was never free to reuse); without, the start time is read and compared.
    const held = this.#processHeld(credentials);
    if (held === false) throw callerChanged(pid);
    if (held === undefined && (await this.#callerStartTime(pid)) !== before) {
      throw callerChanged(pid);
    }
    return { pid, uid, gid, selectors };
  }

  async #callerStartTime(pid: number): Promise<bigint> {
    try {
      return await this.#startTime(pid);
    } catch (cause) {
      if (isSpiffeError(cause, PeerCredErrorCode.ProcessGone)) throw callerChanged(pid, cause);
      throw new CallerAttestationError(
        CallerAttestationErrorCode.CallerChanged,
        `failed to read the start time of caller process ${pid}`,
        { cause },
      );
    }
  }

  async #runAttestors(pid: number): Promise<WorkloadSelector[]> {
    // One attestor (the usual `unix` alone) is awaited directly: no Promise.all, no flat().
    const only = this.#attestors.length === 1 ? this.#attestors[0] : undefined;
    if (only) return runAttestor(only, pid);
    const results = await Promise.all(this.#attestors.map((a) => runAttestor(a, pid)));
    return results.flat();
  }
}

/** One attestor's values as selectors of its type; its failure as AttestorFailed. */
async function runAttestor(attestor: WorkloadAttestor, pid: number): Promise<WorkloadSelector[]> {
  let values: string[];
  try {
    values = await attestor.attest(pid);
  } catch (cause) {
    throw new CallerAttestationError(
      CallerAttestationErrorCode.AttestorFailed,
      `workload attestor "${attestor.name}" failed for process ${pid}`,
      { cause },
    );
  }
  const type = attestor.name;
  return values.map((value) => ({ type, value }));
}

function callerChanged(pid: number, cause?: unknown): CallerAttestationError {
  return new CallerAttestationError(
    CallerAttestationErrorCode.CallerChanged,
    `caller process ${pid} exited or its pid was reused during attestation`,
    { cause },
  );
}
