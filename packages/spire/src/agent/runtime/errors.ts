import { SpiffeError } from '@spire-ts/spiffe';

/** Stable codes of the agent runtime. */
export const AgentRuntimeErrorCode = {
  /** The plugins section names a plugin this agent does not have, or too many or too few. */
  PluginConfig: 'ERR_AGENT_RUNTIME_PLUGIN_CONFIG',
  /** The server banned this agent; it shut down (D12). */
  Banned: 'ERR_AGENT_RUNTIME_BANNED',
  /** The server asked the agent to attest again and the attestation failed. */
  ReattestFailed: 'ERR_AGENT_RUNTIME_REATTEST_FAILED',
} as const;

/** One of the stable agent runtime error codes. */
export type AgentRuntimeErrorCode =
  (typeof AgentRuntimeErrorCode)[keyof typeof AgentRuntimeErrorCode];

/** A failure of the agent as a whole, with an `ERR_AGENT_RUNTIME_*` code. */
export class AgentRuntimeError extends SpiffeError {
  declare readonly code: AgentRuntimeErrorCode;

  constructor(code: AgentRuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
