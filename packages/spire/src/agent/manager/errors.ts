import { SpiffeError } from '@spire-ts/spiffe';

/** Stable codes of the agent's cache manager. */
export const AgentManagerErrorCode = {
  /** A caller passed something the view cannot serve (an empty audience list). */
  InvalidArgument: 'ERR_AGENT_MANAGER_INVALID_ARGUMENT',
  /** A JWT-SVID could not be fetched and no valid cached one exists. */
  JwtUnavailable: 'ERR_AGENT_MANAGER_JWT_UNAVAILABLE',
  /** The server returned an SVID that does not match what was asked for. */
  BadSvid: 'ERR_AGENT_MANAGER_BAD_SVID',
} as const;

/** One of the stable cache manager error codes. */
export type AgentManagerErrorCode =
  (typeof AgentManagerErrorCode)[keyof typeof AgentManagerErrorCode];

/** A failure of the agent's cache manager, with an `ERR_AGENT_MANAGER_*` code. */
export class AgentManagerError extends SpiffeError {
  declare readonly code: AgentManagerErrorCode;

  constructor(code: AgentManagerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
