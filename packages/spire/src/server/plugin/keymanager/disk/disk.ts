import { createPrivateKey, type KeyObject, randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { z } from 'zod';
import { keyInfoOf, keyTypeOf } from '../keys.js';
import { MemoryKeyManager } from '../memory/memory.js';
import { type KeyInfo, KeyManagerError } from '../types.js';

/** plugin_data of KeyManager `disk`, as SPIRE names it. */
export const diskKeyManagerConfigSchema = z
  .object({ keys_path: z.string().min(1, 'keys_path must not be empty') })
  .strict();

/** Parsed plugin_data of KeyManager `disk`. */
export type DiskKeyManagerConfig = z.infer<typeof diskKeyManagerConfigSchema>;

const KEYS_FILE_MODE = 0o600;

/**
 * KeyManager `disk`: like `memory`, but every key is also written to one JSON file at
 * `keys_path` (`{"keys": {"<id>": "<base64 PKCS#8 DER>"}}`), replaced atomically with mode 0600,
 * so the CA survives a restart.
 */
export class DiskKeyManager extends MemoryKeyManager {
  override readonly name = 'disk';
  readonly keysPath: string;
  #writes: Promise<void> = Promise.resolve();

  private constructor(keysPath: string) {
    super();
    this.keysPath = keysPath;
  }

  /** Opens the key manager, loading `keys_path` when it exists. */
  static async open(pluginData: unknown): Promise<DiskKeyManager> {
    const parsed = diskKeyManagerConfigSchema.safeParse(pluginData);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => i.message).join('; ');
      throw new KeyManagerError('ERR_KEYMANAGER_BAD_CONFIG', `disk key manager: ${detail}`);
    }
    const km = new DiskKeyManager(parsed.data.keys_path);
    for (const [id, privateKey] of await readKeysFile(km.keysPath)) {
      const type = keyTypeOf(privateKey);
      if (!type) throw corrupt(km.keysPath, `key "${id}" is of an unsupported type`);
      km.entries.set(id, { info: keyInfoOf(id, type, privateKey), privateKey });
    }
    return km;
  }

  protected override async store(
    id: string,
    entry: { info: KeyInfo; privateKey: KeyObject },
  ): Promise<void> {
    const write = this.#writes.then(async () => {
      const next = new Map(this.entries);
      next.set(id, entry);
      await writeKeysFile(this.keysPath, next);
      this.entries.set(id, entry);
    });
    this.#writes = write.catch(() => {});
    await write;
  }
}

async function readKeysFile(path: string): Promise<Map<string, KeyObject>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new KeyManagerError(
      'ERR_KEYMANAGER_KEYS_FILE_UNREADABLE',
      `cannot read keys file ${path}`,
      {
        cause: err,
      },
    );
  }
  return parseKeysFile(path, text);
}

function parseKeysFile(path: string, text: string): Map<string, KeyObject> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, 'it is not JSON', err);
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
    throw corrupt(path, 'it has no "keys" object');
  }
  const out = new Map<string, KeyObject>();
  for (const [id, value] of Object.entries(keys)) {
    if (typeof value !== 'string') throw corrupt(path, `key "${id}" is not a base64 string`);
    try {
      const der = Buffer.from(value, 'base64');
      out.set(id, createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
    } catch (err) {
      throw corrupt(path, `key "${id}" is not a PKCS#8 private key`, err);
    }
  }
  return out;
}

async function writeKeysFile(
  path: string,
  entries: Map<string, { privateKey: KeyObject }>,
): Promise<void> {
  const keys: Record<string, string> = {};
  for (const [id, { privateKey }] of entries) {
    keys[id] = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
  }
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'wx', KEYS_FILE_MODE);
    try {
      await handle.writeFile(`${JSON.stringify({ keys }, null, 2)}\n`);
      await handle.chmod(KEYS_FILE_MODE);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new KeyManagerError(
      'ERR_KEYMANAGER_KEYS_FILE_WRITE',
      `failed to write keys file ${path}`,
      {
        cause: err,
      },
    );
  }
}

function corrupt(path: string, why: string, cause?: unknown): KeyManagerError {
  return new KeyManagerError(
    'ERR_KEYMANAGER_KEYS_FILE_CORRUPT',
    `keys file ${path} is corrupt: ${why}; restore it from a backup or remove it to start a new CA`,
    { cause },
  );
}
