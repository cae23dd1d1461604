/**
 * The WorkloadAttestor plugin type of the agent: given the kernel-verified pid of a Workload API
 * caller, report what is true about that process as selector values. The agent turns each value
 * into a selector whose type is the plugin's name (`unix` + `uid:1000` -> `unix:uid:1000`), as
 * SPIRE does (reference §3.10).
 */
export interface WorkloadAttestor {
  /** The plugin name, which is also the type of every selector it yields. */
  readonly name: string;
  /** Selector values for the process, e.g. `['uid:1000', 'user:alice', 'gid:1000']`. */
  attest(pid: number): Promise<string[]>;
}

/** A failure to attest a workload; the Workload API answers it without issuing anything. */
export class WorkloadAttestationError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'WorkloadAttestationError';
  }
}
