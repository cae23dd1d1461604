/**
 * The server's plugin catalog (reference §3.2): which built-ins exist for each plugin type and
 * how many of each type a configuration may name. Registration is this explicit list.
 */
import { verifyCertificatePath } from '@spire-ts/spiffe';
import type { Clock } from '../../common/clock/index.js';
import type { PluginConfig } from '../../common/config/plugins.js';
import { type DataStore, openSqlDataStore, parseSqlStoreConfig } from '../datastore/index.js';
import { DiskKeyManager, type KeyManager, MemoryKeyManager } from '../plugin/keymanager/index.js';
import { JoinTokenAttestor } from '../plugin/nodeattestor/join_token/join-token.js';
import type { ServerNodeAttestor } from '../plugin/nodeattestor/node-attestor.js';
import { parseX509PopConfig } from '../plugin/nodeattestor/x509pop/config.js';
import { X509PopAttestor } from '../plugin/nodeattestor/x509pop/x509pop.js';
import { DiskUpstreamAuthority } from '../plugin/upstreamauthority/disk/index.js';
import type { UpstreamAuthority } from '../plugin/upstreamauthority/types.js';

/** The loaded plugins. */
export interface ServerPlugins {
  readonly datastore: DataStore;
  readonly keyManager: KeyManager;
  readonly upstream?: UpstreamAuthority;
  readonly nodeAttestors: ReadonlyMap<string, ServerNodeAttestor>;
}

type Count = 'one' | 'optional' | 'many';

const CATALOG: Record<string, { count: Count; names: readonly string[] }> = {
  DataStore: { count: 'one', names: ['sql'] },
  KeyManager: { count: 'one', names: ['disk', 'memory'] },
  UpstreamAuthority: { count: 'optional', names: ['disk'] },
  NodeAttestor: { count: 'many', names: ['join_token', 'x509pop'] },
};

/** A plugin configuration that cannot be loaded. */
export class PluginLoadError extends Error {
  override readonly name = 'PluginLoadError';
}

/** Checks the configured plugins against the catalog, naming the first problem. */
export function checkPluginConfigs(plugins: readonly PluginConfig[]): PluginConfig[] {
  const enabled = plugins.filter((p) => p.enabled);
  for (const p of enabled) {
    const kind = CATALOG[p.type];
    if (!kind) {
      throw new PluginLoadError(
        `unknown plugin type "${p.type}"; known types are ${Object.keys(CATALOG).join(', ')}`,
      );
    }
    if (p.plugin_cmd !== undefined) {
      throw new PluginLoadError(
        `${p.type} "${p.name}": external plugins (plugin_cmd) are not supported`,
      );
    }
    if (!kind.names.includes(p.name)) {
      throw new PluginLoadError(
        `unknown ${p.type} plugin "${p.name}"; built-ins are ${kind.names.join(', ')}`,
      );
    }
  }
  for (const [type, kind] of Object.entries(CATALOG)) {
    const n = enabled.filter((p) => p.type === type).length;
    if (kind.count === 'one' && n !== 1) {
      throw new PluginLoadError(`expected exactly one ${type} plugin, got ${n}`);
    }
    if (kind.count === 'optional' && n > 1) {
      throw new PluginLoadError(`expected at most one ${type} plugin, got ${n}`);
    }
  }
  return enabled;
}

/** Loads the configured built-ins; on failure closes what was already opened. */
export async function loadPlugins(
  plugins: readonly PluginConfig[],
  opts: { trustDomain: string; clock: Clock },
): Promise<ServerPlugins> {
  const enabled = checkPluginConfigs(plugins);
  const one = (type: string) => enabled.find((p) => p.type === type) as PluginConfig;
  const ds = one('DataStore');
  const datastore = await openSqlDataStore(parseSqlStoreConfig(ds.plugin_data), {
    now: () => Math.floor(opts.clock.now() / 1000),
  });
  try {
    const km = one('KeyManager');
    const keyManager =
      km.name === 'disk' ? await DiskKeyManager.open(km.plugin_data) : new MemoryKeyManager();
    const ua = enabled.find((p) => p.type === 'UpstreamAuthority');
    const upstream = ua ? await DiskUpstreamAuthority.open(ua.plugin_data, opts.clock) : undefined;
    const nodeAttestors = new Map<string, ServerNodeAttestor>();
    for (const p of enabled.filter((x) => x.type === 'NodeAttestor')) {
      nodeAttestors.set(p.name, nodeAttestor(p, datastore, opts));
    }
    return { datastore, keyManager, nodeAttestors, ...(upstream ? { upstream } : {}) };
  } catch (err) {
    await datastore.close();
    throw err;
  }
}

function nodeAttestor(
  p: PluginConfig,
  datastore: DataStore,
  opts: { trustDomain: string; clock: Clock },
): ServerNodeAttestor {
  if (p.name === 'join_token') {
    return new JoinTokenAttestor({
      trustDomain: opts.trustDomain,
      store: datastore,
      clock: opts.clock,
      pluginData: { ...p.plugin_data },
    });
  }
  return new X509PopAttestor({
    trustDomain: opts.trustDomain,
    config: parseX509PopConfig({ ...p.plugin_data }),
    clock: opts.clock,
    verifyChain: (chain, roots, at) => verifyCertificatePath(chain, roots, at),
  });
}
