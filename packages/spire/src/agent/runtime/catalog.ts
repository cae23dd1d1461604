import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { PluginConfig } from '../../common/config/plugins.js';
import type { AgentConfig } from '../config/index.js';
import {
  type AgentKeyManager,
  DiskKeyManager,
  MemoryKeyManager,
  parseDiskKeyManagerConfig,
} from '../plugin/keymanager/index.js';
import { AgentJoinTokenAttestor } from '../plugin/nodeattestor/join_token/join-token.js';
import type { AgentNodeAttestor } from '../plugin/nodeattestor/node-attestor.js';
import {
  AgentX509PopAttestor,
  parseAgentX509PopConfig,
} from '../plugin/nodeattestor/x509pop/x509pop.js';
import {
  parseUnixAttestorConfig,
  UnixWorkloadAttestor,
} from '../plugin/workloadattestor/unix/unix.js';
import type { WorkloadAttestor } from '../plugin/workloadattestor/workload-attestor.js';
import { AgentRuntimeError, AgentRuntimeErrorCode } from './errors.js';

/** The plugins an agent runs with. */
export interface AgentPlugins {
  readonly nodeAttestor: AgentNodeAttestor;
  readonly keyManager: AgentKeyManager;
  readonly workloadAttestors: readonly WorkloadAttestor[];
}

/**
 * The built-in agent plugins (the catalog): exactly one NodeAttestor (`join_token`, `x509pop`),
 * exactly one KeyManager (`disk`, `memory`), and any number of WorkloadAttestors (`unix`).
 * A relative path in plugin_data is taken from `cwd`.
 */
export async function buildAgentPlugins(config: AgentConfig, cwd: string): Promise<AgentPlugins> {
  const node = only(config.plugins, 'NodeAttestor');
  const km = only(config.plugins, 'KeyManager');
  return {
    nodeAttestor: await nodeAttestor(node, config, cwd),
    keyManager: keyManager(km, cwd),
    workloadAttestors: enabled(config.plugins, 'WorkloadAttestor').map(workloadAttestor),
  };
}

async function nodeAttestor(
  p: PluginConfig,
  config: AgentConfig,
  cwd: string,
): Promise<AgentNodeAttestor> {
  switch (p.name) {
    case 'join_token':
      return new AgentJoinTokenAttestor(await joinToken(config, cwd));
    case 'x509pop':
      return new AgentX509PopAttestor(parseAgentX509PopConfig({ ...p.plugin_data }));
    default:
      throw unknown(p);
  }
}

/** `join_token`, or the first line of `join_token_file`. */
async function joinToken(config: AgentConfig, cwd: string): Promise<string> {
  if (config.join_token) return config.join_token;
  if (!config.join_token_file) return '';
  try {
    return (await readFile(resolve(cwd, config.join_token_file), 'utf8')).trim();
  } catch (err) {
    throw new AgentRuntimeError(
      AgentRuntimeErrorCode.PluginConfig,
      `failed to read join_token_file ${config.join_token_file}`,
      { cause: err },
    );
  }
}

function keyManager(p: PluginConfig, cwd: string): AgentKeyManager {
  if (p.name === 'disk') return new DiskKeyManager(parseDiskKeyManagerConfig(p.plugin_data, cwd));
  if (p.name === 'memory') return new MemoryKeyManager(p.plugin_data);
  throw unknown(p);
}

function workloadAttestor(p: PluginConfig): WorkloadAttestor {
  if (p.name !== 'unix') throw unknown(p);
  return new UnixWorkloadAttestor({ config: parseUnixAttestorConfig({ ...p.plugin_data }) });
}

function enabled(plugins: readonly PluginConfig[], type: string): PluginConfig[] {
  return plugins.filter((p) => p.type === type && p.enabled);
}

function only(plugins: readonly PluginConfig[], type: string): PluginConfig {
  const found = enabled(plugins, type);
  if (found.length !== 1) {
    throw new AgentRuntimeError(
      AgentRuntimeErrorCode.PluginConfig,
      `plugins: exactly one ${type} must be configured, found ${found.length}`,
    );
  }
  return found[0] as PluginConfig;
}

function unknown(p: PluginConfig): AgentRuntimeError {
  return new AgentRuntimeError(
    AgentRuntimeErrorCode.PluginConfig,
    `plugins: ${p.type} "${p.name}" is not a built-in plugin of this agent`,
  );
}
