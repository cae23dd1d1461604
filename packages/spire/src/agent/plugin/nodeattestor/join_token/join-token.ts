import type { AgentNodeAttestor } from '../node-attestor.js';

/**
 * `NodeAttestor "join_token"` on the agent: the payload is the token given by `join_token`,
 * `join_token_file` or `-joinToken`. The server sends no challenge.
 */
export class AgentJoinTokenAttestor implements AgentNodeAttestor {
  readonly name = 'join_token';
  readonly #token: string;

  // An empty token is refused only when attestation needs it: an agent with a stored, usable
  // SVID restarts without one (docs/agent.md, "a used join token is never sent twice").
  constructor(token: string) {
    this.#token = token.trim();
  }

  async payload(): Promise<Uint8Array> {
    if (this.#token === '') {
      throw new Error('join_token: no join token configured; pass -joinToken or set join_token');
    }
    return Buffer.from(this.#token, 'utf8');
  }

  async respond(): Promise<Uint8Array> {
    throw new Error('join_token: the server sent a challenge, but join_token has none to answer');
  }
}
