import type { KeyObject } from 'node:crypto';
import {
  type AgentKeyManager,
  type AgentKeyType,
  checkKeyId,
  newPrivateKey,
} from '../key-manager.js';
import { rejectPluginData } from '../plugin-data.js';

/**
 * `KeyManager "memory"`: keys live only in this process. After a restart the agent has no key for
 * its stored SVID and must attest again (which a join token cannot do twice).
 */
export class MemoryKeyManager implements AgentKeyManager {
  readonly name = 'memory';
  readonly persistent = false;
  readonly #keys = new Map<string, KeyObject>();

  /** Takes the plugin_data of the configuration, which must be empty. */
  constructor(pluginData: Readonly<Record<string, unknown>> = {}) {
    rejectPluginData('memory', pluginData, []);
  }

  async generateKey(id: string, type: AgentKeyType): Promise<KeyObject> {
    checkKeyId(id);
    const key = await newPrivateKey(type);
    this.#keys.set(id, key);
    return key;
  }

  async getKey(id: string): Promise<KeyObject | undefined> {
    return this.#keys.get(id);
  }
}
