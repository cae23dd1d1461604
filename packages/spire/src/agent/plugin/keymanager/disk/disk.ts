import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../../storage/atomic-file.js';
import {
  type AgentKeyManager,
  AgentKeyManagerError,
  AgentKeyManagerErrorCode,
  type AgentKeyType,
  checkKeyId,
  newPrivateKey,
} from '../key-manager.js';
import { rejectPluginData } from '../plugin-data.js';

/** The file, inside `directory`, that SPIRE's disk KeyManager keeps the agent's keys in. */
export const DISK_KEYS_FILE = 'keys.json';

/** Keys are secrets: owner read/write only (DESIGN principle 4). */
const KEY_FILE_MODE = 0o600;

/** plugin_data of the agent's `KeyManager "disk"`. */
export interface DiskKeyManagerConfig {
  /** Folder holding `keys.json`. */
  readonly directory: string;
}

/** Validates raw plugin_data; a relative `directory` is resolved against `cwd`. */
export function parseDiskKeyManagerConfig(
  data: Readonly<Record<string, unknown>>,
  cwd: string,
): DiskKeyManagerConfig {
  rejectPluginData('disk', data, ['directory']);
  const directory = data.directory;
  if (typeof directory !== 'string' || directory === '') {
    throw new AgentKeyManagerError(
      AgentKeyManagerErrorCode.InvalidConfig,
      'KeyManager "disk": directory is required and must be a folder path',
    );
  }
  return { directory: isAbsolute(directory) ? directory : resolve(cwd, directory) };
}

/**
 * `KeyManager "disk"`: keys are written to `<directory>/keys.json` (mode 0600) as PKCS#8 DER in
 * base64 by key id, so the agent SVID survives a restart together with its key.
 */
export class DiskKeyManager implements AgentKeyManager {
  readonly name = 'disk';
  readonly persistent = true;
  readonly #path: string;
  #keys: Map<string, KeyObject> | undefined;

  constructor(config: DiskKeyManagerConfig) {
    this.#path = join(config.directory, DISK_KEYS_FILE);
  }

  async generateKey(id: string, type: AgentKeyType): Promise<KeyObject> {
    checkKeyId(id);
    const keys = await this.#load();
    const key = await newPrivateKey(type);
    const next = new Map(keys).set(id, key);
    await this.#store(next);
    this.#keys = next;
    return key;
  }

  async getKey(id: string): Promise<KeyObject | undefined> {
    return (await this.#load()).get(id);
  }

  async #load(): Promise<Map<string, KeyObject>> {
    if (this.#keys) return this.#keys;
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw storageError('read', this.#path, err);
      this.#keys = new Map();
      return this.#keys;
    }
    this.#keys = decodeKeys(text, this.#path);
    return this.#keys;
  }

  async #store(keys: Map<string, KeyObject>): Promise<void> {
    const out: Record<string, string> = {};
    for (const [id, key] of keys) {
      out[id] = key.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    }
    try {
      await writeFileAtomic(this.#path, Buffer.from(JSON.stringify({ keys: out })), KEY_FILE_MODE);
    } catch (err) {
      throw storageError('write', this.#path, err);
    }
  }
}

function decodeKeys(text: string, path: string): Map<string, KeyObject> {
  try {
    const doc = JSON.parse(text) as { keys?: unknown };
    if (typeof doc !== 'object' || doc === null || typeof doc.keys !== 'object' || !doc.keys) {
      throw new Error('"keys" must be an object of key id to base64 PKCS#8');
    }
    const keys = new Map<string, KeyObject>();
    for (const [id, value] of Object.entries(doc.keys as Record<string, unknown>)) {
      if (typeof value !== 'string') throw new Error(`key ${JSON.stringify(id)} is not a string`);
      keys.set(
        id,
        createPrivateKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'pkcs8' }),
      );
    }
    return keys;
  } catch (err) {
    throw storageError('parse', path, err);
  }
}

function storageError(verb: string, path: string, cause: unknown): AgentKeyManagerError {
  return new AgentKeyManagerError(
    AgentKeyManagerErrorCode.Storage,
    `KeyManager "disk": failed to ${verb} key file ${path}`,
    { cause },
  );
}
