import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import type { AgentKeyManager, AgentKeyType } from '../plugin/keymanager/index.js';

/** SPIRE's two key ids for the agent SVID: a rotation writes the one not in use. */
export const AGENT_SVID_KEY_IDS = ['agent-svid-A', 'agent-svid-B'] as const;

/** A key held for the agent SVID, with the slot it sits in. */
export interface AgentSvidKey {
  readonly id: (typeof AGENT_SVID_KEY_IDS)[number];
  readonly privateKey: KeyObject;
}

/**
 * The agent SVID's key, kept in the KeyManager under two alternating ids so that the key in use
 * is never overwritten before its replacement SVID has been issued and stored.
 */
export class AgentSvidKeys {
  readonly #km: AgentKeyManager;
  readonly #type: AgentKeyType;

  constructor(keyManager: AgentKeyManager, type: AgentKeyType = 'ec-p256') {
    this.#km = keyManager;
    this.#type = type;
  }

  /** True when the key manager keeps keys across restarts. */
  get persistent(): boolean {
    return this.#km.persistent;
  }

  /** The stored key whose public half is in `leaf`, if the key manager still has it. */
  async findKeyFor(leaf: X509Certificate): Promise<AgentSvidKey | undefined> {
    const wanted = leaf.publicKey.export({ format: 'der', type: 'spki' });
    for (const id of AGENT_SVID_KEY_IDS) {
      const privateKey = await this.#km.getKey(id);
      if (!privateKey) continue;
      const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
      if (spki.equals(wanted)) return { id, privateKey };
    }
    return undefined;
  }

  /** Generates a key in the slot that `current` is not in (slot A when there is none). */
  async next(current?: AgentSvidKey): Promise<AgentSvidKey> {
    const id = current?.id === 'agent-svid-A' ? 'agent-svid-B' : 'agent-svid-A';
    return { id, privateKey: await this.#km.generateKey(id, this.#type) };
  }
}
