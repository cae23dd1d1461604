import type { Clock } from '../../../../common/clock/clock.js';
import {
  type ChallengeExchange,
  NodeAttestationError,
  type NodeAttestationResult,
  rejectUnknownKeys,
  type ServerNodeAttestor,
} from '../node-attestor.js';

/** The one join-token operation the attestor needs: atomically fetch and delete a token. */
export interface JoinTokenStore {
  /** Removes the token and returns it; undefined when absent (never created, or already used). */
  takeJoinToken(
    token: string,
  ): Promise<{ readonly token: string; readonly expiresAt: number } | undefined>;
}

/** Options of {@link JoinTokenAttestor}. */
export interface JoinTokenAttestorOptions {
  readonly trustDomain: string;
  readonly store: JoinTokenStore;
  readonly clock: Clock;
  /** plugin_data; `join_token` takes none. */
  readonly pluginData?: Record<string, unknown>;
}

/**
 * `NodeAttestor "join_token"`: the payload is the token itself. A token is used at most once,
 * also under concurrent attempts (the store's take is atomic), and refused once expired
 * (reference §3.8). The agent ID is `spiffe://<td>/spire/agent/join_token/<token>`; such agents
 * cannot re-attest.
 */
export class JoinTokenAttestor implements ServerNodeAttestor {
  readonly name = 'join_token';
  readonly #trustDomain: string;
  readonly #store: JoinTokenStore;
  readonly #clock: Clock;

  constructor(options: JoinTokenAttestorOptions) {
    rejectUnknownKeys('join_token', options.pluginData ?? {}, []);
    this.#trustDomain = options.trustDomain;
    this.#store = options.store;
    this.#clock = options.clock;
  }

  async attest(payload: Uint8Array, _exchange: ChallengeExchange): Promise<NodeAttestationResult> {
    const token = Buffer.from(payload).toString('utf8');
    if (token === '') {
      throw new NodeAttestationError('invalid_argument', 'join token is empty');
    }
    if (!/^[A-Za-z0-9._-]{1,256}$/.test(token)) {
      throw new NodeAttestationError(
        'invalid_argument',
        'join token has characters other than letters, digits, ".", "_" and "-"',
      );
    }

    const taken = await this.#store.takeJoinToken(token);
    if (!taken) {
      throw new NodeAttestationError(
        'invalid_argument',
        'failed to attest: join token does not exist or has already been used',
      );
    }
    if (taken.expiresAt * 1000 <= this.#clock.now()) {
      throw new NodeAttestationError('invalid_argument', 'join token expired');
    }

    return {
      agentId: `spiffe://${this.#trustDomain}/spire/agent/join_token/${token}`,
      selectors: [],
      canReattest: false,
    };
  }
}
