/**
 * The server's NodeAttestor plugin type: verify the evidence an agent presents (possibly over a
 * challenge/response exchange) and name the agent and its node selectors (reference §3.2, §3.8).
 */

/** A node selector; `type` is the attestor's name (`x509pop`), `value` what it observed. */
export interface NodeSelector {
  readonly type: string;
  readonly value: string;
}

/** What a successful attestation establishes. */
export interface NodeAttestationResult {
  /** The agent's SPIFFE ID, `spiffe://<td>/spire/agent/<attestor>/...`. */
  readonly agentId: string;
  readonly selectors: readonly NodeSelector[];
  /** Whether the agent may re-attest with the same evidence instead of renewing. */
  readonly canReattest: boolean;
}

/** Sends a challenge to the agent and resolves with its response. */
export type ChallengeExchange = (challenge: Uint8Array) => Promise<Uint8Array>;

/** A server-side node attestor. */
export interface ServerNodeAttestor {
  /** The plugin name; also the `AttestationData.type` agents send for it. */
  readonly name: string;
  /** Verifies `payload` (and any challenge responses); throws NodeAttestationError on refusal. */
  attest(payload: Uint8Array, exchange: ChallengeExchange): Promise<NodeAttestationResult>;
}

/** gRPC status names an attestation failure maps to at the API edge. */
export type NodeAttestationErrorKind = 'invalid_argument' | 'permission_denied' | 'internal';

/**
 * Why an attestation was refused. The message is safe to return to the agent: it says what was
 * wrong with the evidence, never what the server holds.
 */
export class NodeAttestationError extends Error {
  readonly kind: NodeAttestationErrorKind;

  constructor(kind: NodeAttestationErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = 'NodeAttestationError';
  }
}

/** Rejects plugin_data keys a plugin does not know, naming the first one and the known ones. */
export function rejectUnknownKeys(
  plugin: string,
  data: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const key of Object.keys(data)) {
    if (!known.includes(key)) {
      const list = known.length > 0 ? known.join(', ') : 'none';
      throw new Error(`${plugin}: unknown plugin_data key "${key}"; known keys are ${list}`);
    }
  }
}
