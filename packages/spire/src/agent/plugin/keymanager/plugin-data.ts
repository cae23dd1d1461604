import { AgentKeyManagerError, AgentKeyManagerErrorCode } from './key-manager.js';

/** Refuses plugin_data keys outside `allowed`, naming the first unknown one. */
export function rejectPluginData(
  plugin: string,
  data: Readonly<Record<string, unknown>>,
  allowed: readonly string[],
): void {
  for (const key of Object.keys(data)) {
    if (!allowed.includes(key)) {
      const known = allowed.length === 0 ? 'it takes no settings' : `known: ${allowed.join(', ')}`;
      throw new AgentKeyManagerError(
        AgentKeyManagerErrorCode.InvalidConfig,
        `KeyManager "${plugin}": unknown plugin_data key ${JSON.stringify(key)} (${known})`,
      );
    }
  }
}
