import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readlink, stat } from 'node:fs/promises';
import { ProcFileReader } from '../../../../common/peercred/index.js';
import { WorkloadAttestationError, type WorkloadAttestor } from '../workload-attestor.js';
import { cachedNameTables, type NameTables } from './names.js';
import { type ProcStatus, parseProcStatus } from './proc-status.js';

/** plugin_data of `WorkloadAttestor "unix"`, as SPIRE names it. */
export interface UnixAttestorConfig {
  /** Report `path:` and `sha256:` of the workload's executable (default false). */
  readonly discoverWorkloadPath: boolean;
  /** Largest executable to hash, in bytes: 0 = no limit, negative = never hash (default 0). */
  readonly workloadSizeLimit: number;
}

const KNOWN_KEYS = new Set(['discover_workload_path', 'workload_size_limit']);

/**
 * Validates raw plugin_data (`{ discover_workload_path = true }`) into a config. Unknown keys and
 * wrong types are errors naming the key.
 */
export function parseUnixAttestorConfig(data: Record<string, unknown> = {}): UnixAttestorConfig {
  for (const key of Object.keys(data)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new Error(
        `unix workload attestor: unknown plugin_data key "${key}"; known keys are ` +
          'discover_workload_path, workload_size_limit',
      );
    }
  }
  const discover = data['discover_workload_path'] ?? false;
  const limit = data['workload_size_limit'] ?? 0;
  if (typeof discover !== 'boolean') {
    throw new Error('unix workload attestor: discover_workload_path must be true or false');
  }
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit)) {
    throw new Error('unix workload attestor: workload_size_limit must be a whole number of bytes');
  }
  return { discoverWorkloadPath: discover, workloadSizeLimit: limit };
}

/** Options of {@link UnixWorkloadAttestor}. */
export interface UnixWorkloadAttestorOptions {
  readonly config: UnixAttestorConfig;
  /** Root of the proc filesystem (SPIRE honours `HOST_PROC`); default `/proc`. */
  readonly procRoot?: string;
  /**
   * Id -> name tables; default: `/etc/passwd` and `/etc/group`, read again only when a file
   * changed since the last attestation.
   */
  readonly names?: () => Promise<NameTables>;
}

/**
 * `WorkloadAttestor "unix"`: selectors `uid`, `user`, `gid`, `group`, `supplementary_gid`,
 * `supplementary_group` from the kernel's view of the process (effective ids), and with
 * `discover_workload_path` also `path` and `sha256` of its executable (reference §4.2).
 */
export class UnixWorkloadAttestor implements WorkloadAttestor {
  readonly name = 'unix';
  readonly #config: UnixAttestorConfig;
  readonly #procRoot: string;
  // /proc/<pid>/status of recent callers, kept open between calls (see ProcFileReader).
  readonly #proc: ProcFileReader;
  readonly #names: () => Promise<NameTables>;

  constructor(options: UnixWorkloadAttestorOptions) {
    this.#config = options.config;
    // Paths are built by hand on every call (no path.join): a trailing slash is dropped once here.
    const root = options.procRoot ?? process.env['HOST_PROC'] ?? '/proc';
    this.#procRoot = root.length > 1 ? root.replace(/\/+$/, '') : root;
    this.#proc = new ProcFileReader(this.#procRoot);
    this.#names = options.names ?? cachedNameTables();
  }

  /** Closes the /proc files kept open between attestations; attesting again reopens them. */
  close(): void {
    this.#proc.close();
  }

  async attest(pid: number): Promise<string[]> {
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      throw new WorkloadAttestationError('ERR_UNIX_BAD_PID', `invalid workload pid ${pid}`);
    }
    const status = this.#readStatus(pid);
    const names = await this.#names();

    const values = [`uid:${status.euid}`];
    const user = names.userName(status.euid);
    if (user !== undefined) values.push(`user:${user}`);
    values.push(`gid:${status.egid}`);
    const group = names.groupName(status.egid);
    if (group !== undefined) values.push(`group:${group}`);
    for (const gid of status.groups) {
      values.push(`supplementary_gid:${gid}`);
      const name = names.groupName(gid);
      if (name !== undefined) values.push(`supplementary_group:${name}`);
    }

    if (this.#config.discoverWorkloadPath) {
      values.push(`path:${await this.#exePath(pid)}`);
      if (this.#config.workloadSizeLimit >= 0) {
        values.push(`sha256:${await this.#exeDigest(pid)}`);
      }
    }
    return values;
  }

  #readStatus(pid: number): ProcStatus {
    const path = `${this.#procRoot}/${pid}/status`;
    try {
      // Read synchronously: procfs answers from kernel memory, and one read costs less than the
      // four thread-pool round trips of an async readFile (issue 4: per-call cost).
      return parseProcStatus(this.#proc.read(path));
    } catch (cause) {
      throw new WorkloadAttestationError(
        'ERR_UNIX_PROCESS',
        `failed to read the status of process ${pid} from ${path}`,
        { cause },
      );
    }
  }

  async #exePath(pid: number): Promise<string> {
    const link = `${this.#procRoot}/${pid}/exe`;
    try {
      return await readlink(link);
    } catch (cause) {
      throw new WorkloadAttestationError(
        'ERR_UNIX_PATH',
        `failed to read the executable path of process ${pid} (${link}); the agent needs ` +
          'permission to read other processes’ exe links to use discover_workload_path',
        { cause },
      );
    }
  }

  /** Hashes the executable through `/proc/<pid>/exe`, which sees it in the process's mounts. */
  async #exeDigest(pid: number): Promise<string> {
    const exe = `${this.#procRoot}/${pid}/exe`;
    const limit = this.#config.workloadSizeLimit;
    try {
      if (limit > 0) {
        const { size } = await stat(exe);
        if (size > limit) {
          throw new WorkloadAttestationError(
            'ERR_UNIX_SIZE_LIMIT',
            `executable of process ${pid} is ${size} bytes, over workload_size_limit ${limit}`,
          );
        }
      }
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(exe)) hash.update(chunk as Buffer);
      return hash.digest('hex');
    } catch (cause) {
      if (cause instanceof WorkloadAttestationError) throw cause;
      throw new WorkloadAttestationError(
        'ERR_UNIX_SHA256',
        `failed to hash the executable of process ${pid} (${exe})`,
        { cause },
      );
    }
  }
}
