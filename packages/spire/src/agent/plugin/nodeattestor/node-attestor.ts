/**
 * The agent's NodeAttestor plugin type: produce the evidence that proves which node this is, and
 * answer the server plugin's challenges (reference §3.10, AidAttestation).
 */
export interface AgentNodeAttestor {
  /** The plugin name, sent as `AttestationData.type`; the server must run the same plugin. */
  readonly name: string;
  /** The attestation payload sent in the first AttestAgent message. */
  payload(): Promise<Uint8Array>;
  /** Answers one challenge from the server. */
  respond(challenge: Uint8Array): Promise<Uint8Array>;
}
