import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SpiffeError } from '@spire-ts/spiffe';
import { writeFileAtomic } from './atomic-file.js';

/** SPIRE's file names in `data_dir`. */
export const AGENT_DATA_FILE = 'agent-data.json';
/** The agent SVID chain as concatenated DER (SPIRE's legacy file, still written). */
export const LEGACY_SVID_FILE = 'agent_svid.der';
/** The trust bundle as concatenated DER (SPIRE's legacy file, still written). */
export const LEGACY_BUNDLE_FILE = 'bundle.der';

const DATA_FILE_MODE = 0o600;
const DATA_DIR_MODE = 0o700;

/** Stable codes of agent storage errors. */
export const AgentStorageErrorCode = {
  /** A file in data_dir could not be read or written. */
  Io: 'ERR_AGENT_STORAGE_IO',
  /** agent-data.json is not what the agent wrote. */
  Corrupt: 'ERR_AGENT_STORAGE_CORRUPT',
} as const;

/** One of the stable agent storage error codes. */
export type AgentStorageErrorCode =
  (typeof AgentStorageErrorCode)[keyof typeof AgentStorageErrorCode];

/** A failure to read or write the agent's `data_dir`, with an `ERR_AGENT_STORAGE_*` code. */
export class AgentStorageError extends SpiffeError {
  declare readonly code: AgentStorageErrorCode;

  constructor(code: AgentStorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** What the agent keeps across restarts. */
export interface AgentData {
  /** The agent SVID, leaf first; empty when none is stored. */
  readonly svid: readonly X509Certificate[];
  /** The trust domain's X.509 authorities; empty when none is stored. */
  readonly bundle: readonly X509Certificate[];
  /** Whether the server said this node may attest again (agent renewals re-attest then). */
  readonly reattestable: boolean;
}

const EMPTY: AgentData = Object.freeze({ svid: [], bundle: [], reattestable: false });

/**
 * The agent's `data_dir`: `agent-data.json` (SPIRE's format: `svid` and `bundle` as lists of
 * base64 PEM certificates, plus `reattestable`), and the legacy `agent_svid.der` and
 * `bundle.der` that SPIRE still writes beside it. Every file is written atomically with mode
 * 0600. Private keys are not here: the KeyManager holds them.
 */
export class AgentStorage {
  readonly #dir: string;
  #data: AgentData = EMPTY;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Opens `dir` (created 0700 if missing) and reads what a previous run stored. */
  static async open(dir: string): Promise<AgentStorage> {
    const storage = new AgentStorage(dir);
    try {
      await mkdir(dir, { recursive: true, mode: DATA_DIR_MODE });
    } catch (err) {
      throw new AgentStorageError(AgentStorageErrorCode.Io, `failed to create data_dir ${dir}`, {
        cause: err,
      });
    }
    storage.#data = await readData(join(dir, AGENT_DATA_FILE));
    return storage;
  }

  /** The stored state. */
  data(): AgentData {
    return this.#data;
  }

  /** Stores a new agent SVID and whether the node may re-attest. */
  async storeSvid(svid: readonly X509Certificate[], reattestable: boolean): Promise<void> {
    await this.#write(LEGACY_SVID_FILE, concatDer(svid));
    await this.#save({ ...this.#data, svid: [...svid], reattestable });
  }

  /** Stores the trust domain's X.509 authorities. */
  async storeBundle(bundle: readonly X509Certificate[]): Promise<void> {
    await this.#write(LEGACY_BUNDLE_FILE, concatDer(bundle));
    await this.#save({ ...this.#data, bundle: [...bundle] });
  }

  /** Forgets the agent SVID (a banned or evicted agent must not come back with it). */
  async deleteSvid(): Promise<void> {
    try {
      await rm(join(this.#dir, LEGACY_SVID_FILE), { force: true });
    } catch (err) {
      throw ioError('delete', join(this.#dir, LEGACY_SVID_FILE), err);
    }
    await this.#save({ ...this.#data, svid: [], reattestable: false });
  }

  async #save(data: AgentData): Promise<void> {
    const json = {
      svid: data.svid.map((c) => Buffer.from(c.toString()).toString('base64')),
      bundle: data.bundle.map((c) => Buffer.from(c.toString()).toString('base64')),
      reattestable: data.reattestable,
    };
    await this.#write(AGENT_DATA_FILE, Buffer.from(JSON.stringify(json)));
    this.#data = Object.freeze(data);
  }

  async #write(name: string, bytes: Uint8Array): Promise<void> {
    const path = join(this.#dir, name);
    try {
      await writeFileAtomic(path, bytes, DATA_FILE_MODE);
    } catch (err) {
      throw ioError('write', path, err);
    }
  }
}

async function readData(path: string): Promise<AgentData> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
    throw ioError('read', path, err);
  }
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    return Object.freeze({
      svid: decodeCerts(doc.svid, 'svid'),
      bundle: decodeCerts(doc.bundle, 'bundle'),
      reattestable: doc.reattestable === true,
    });
  } catch (err) {
    throw new AgentStorageError(
      AgentStorageErrorCode.Corrupt,
      `failed to parse ${path}: delete it to make the agent attest again`,
      { cause: err },
    );
  }
}

function decodeCerts(value: unknown, field: string): X509Certificate[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${field} must be a list of base64 certificates`);
  return value.map((item) => {
    if (typeof item !== 'string') throw new Error(`${field} holds a value that is not a string`);
    return new X509Certificate(Buffer.from(item, 'base64'));
  });
}

function concatDer(certs: readonly X509Certificate[]): Buffer {
  return Buffer.concat(certs.map((c) => c.raw));
}

function ioError(verb: string, path: string, cause: unknown): AgentStorageError {
  return new AgentStorageError(AgentStorageErrorCode.Io, `failed to ${verb} ${path}`, { cause });
}
