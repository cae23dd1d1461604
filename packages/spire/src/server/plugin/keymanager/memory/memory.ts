import type { KeyObject } from 'node:crypto';
import { checkKeyId, generatePrivateKey, keyInfoOf, keyNotFound, signWith } from '../keys.js';
import type { KeyInfo, KeyManager, KeyType, SignOptions } from '../types.js';

interface Entry {
  info: KeyInfo;
  privateKey: KeyObject;
}

/**
 * KeyManager `memory`: keys live in this process only and are lost on restart, so every restart
 * starts a new CA. It takes no plugin_data.
 */
export class MemoryKeyManager implements KeyManager {
  readonly name: string = 'memory';
  protected readonly entries = new Map<string, Entry>();

  async generateKey(id: string, type: KeyType): Promise<KeyInfo> {
    checkKeyId(id);
    const privateKey = generatePrivateKey(type);
    const info = keyInfoOf(id, type, privateKey);
    await this.store(id, { info, privateKey });
    return info;
  }

  async getPublicKey(id: string): Promise<KeyInfo | undefined> {
    return this.entries.get(id)?.info;
  }

  async getPublicKeys(): Promise<KeyInfo[]> {
    return [...this.entries.values()].map((e) => e.info);
  }

  async sign(id: string, data: Uint8Array, options: SignOptions): Promise<Buffer> {
    const entry = this.entries.get(id);
    if (!entry) throw keyNotFound(id);
    return signWith(entry.privateKey, data, options);
  }

  /** Records a new key; subclasses persist it first. */
  protected async store(id: string, entry: Entry): Promise<void> {
    this.entries.set(id, entry);
  }
}
