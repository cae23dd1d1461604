import { ConfigError, ConfigErrorCode, type ConfigIssue } from './errors.js';
import { type HclObject, isHclObject, plainHcl } from './hcl.js';

/**
 * One `plugins { <Type> "<name>" { ... } }` entry (SPIRE config §3.1). `plugin_data` stays a plain
 * object for the plugin to validate itself: HCL blocks inside it are objects, and a list holding
 * one object reads as that object (see `plainHcl`).
 */
export interface PluginConfig {
  /** Plugin type, such as `KeyManager` or `NodeAttestor`. */
  readonly type: string;
  /** Plugin name, such as `disk` or `join_token`. */
  readonly name: string;
  /** Path of an external plugin binary; absent for built-ins. */
  readonly plugin_cmd?: string;
  /** Arguments passed to `plugin_cmd`. */
  readonly plugin_args: readonly string[];
  /** Expected sha256 (hex) of `plugin_cmd`. */
  readonly plugin_checksum?: string;
  /** The plugin's settings; `{}` when neither `plugin_data` nor `plugin_data_file` is given. */
  readonly plugin_data: Readonly<Record<string, unknown>>;
  /** File holding the plugin's settings instead of `plugin_data`. */
  readonly plugin_data_file?: string;
  /** False to keep the entry in the file without loading the plugin. Default true. */
  readonly enabled: boolean;
  /** Line of the entry in the configuration file, when known. */
  readonly line?: number;
}

const ENTRY_KEYS = new Set([
  'plugin_cmd',
  'plugin_args',
  'plugin_checksum',
  'plugin_data',
  'plugin_data_file',
  'enabled',
]);

/**
 * Reads the decoded `plugins` section into one {@link PluginConfig} per `<Type> "<name>"` pair,
 * in file order per type. Unknown entry keys, wrong value types, `plugin_data` together with
 * `plugin_data_file`, and a pair declared twice are errors naming the entry and its line.
 */
export function readPlugins(
  section: unknown,
  lines: ReadonlyMap<string, number>,
): readonly PluginConfig[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const out: PluginConfig[] = [];
  const issue = (
    path: string,
    rule: string,
    code: ConfigErrorCode = ConfigErrorCode.InvalidValue,
  ) => {
    const line = lines.get(path);
    const at = line === undefined ? '' : ` (line ${line})`;
    issues.push({ code, path, message: `${path}${at}: ${rule}`, ...(line ? { line } : {}) });
  };

  for (const [type, body] of entries(section, 'plugins', issue)) {
    for (const [name, value] of entries(body, `plugins.${type}`, issue)) {
      const path = `plugins.${type}.${name}`;
      if (seen.has(path))
        issue(path, `plugin ${type} "${name}" is declared more than once; keep one`);
      seen.add(path);
      const entry = readEntry(type, name, value, lines.get(path), issue);
      if (entry) out.push(entry);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(out);
}

type Report = (path: string, rule: string, code?: ConfigErrorCode) => void;

// The (key, value) pairs of an HCL section, which the decoder gives as a list of objects.
function entries(section: unknown, path: string, issue: Report): [string, unknown][] {
  const list = Array.isArray(section) ? section : [section];
  const out: [string, unknown][] = [];
  for (const item of list) {
    if (!isHclObject(item)) {
      issue(path, 'must be a block of `<Type> "<name>" { ... }` entries');
      continue;
    }
    for (const [k, v] of Object.entries(item)) {
      for (const one of Array.isArray(v) ? v : [v]) out.push([k, one]);
    }
  }
  return out;
}

function readEntry(
  type: string,
  name: string,
  value: unknown,
  line: number | undefined,
  issue: Report,
): PluginConfig | undefined {
  const path = `plugins.${type}.${name}`;
  if (!isHclObject(value)) {
    issue(path, `must be a block: ${type} "${name}" { plugin_data { ... } }`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!ENTRY_KEYS.has(key)) {
      const rule = `unknown key; a plugin entry takes ${[...ENTRY_KEYS].join(', ')}`;
      issue(`${path}.${key}`, rule, ConfigErrorCode.UnknownKey);
    }
  }
  const v = value as HclObject;
  const optionalString = (key: string): string | undefined => {
    const x = v[key];
    if (x === undefined || typeof x === 'string') return x;
    issue(`${path}.${key}`, 'must be a string');
    return undefined;
  };
  const enabled = v.enabled ?? true;
  if (typeof enabled !== 'boolean') issue(`${path}.enabled`, 'must be true or false');
  const args = v.plugin_args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    issue(`${path}.plugin_args`, 'must be a list of strings');
  }
  if (v.plugin_data !== undefined && v.plugin_data_file !== undefined) {
    issue(
      path,
      'only one of plugin_data or plugin_data_file can be used',
      ConfigErrorCode.Conflict,
    );
  }
  const data = v.plugin_data === undefined ? {} : plainHcl(v.plugin_data);
  if (!isHclObject(data)) issue(`${path}.plugin_data`, 'must be a block of settings');

  const entry: PluginConfig = {
    type,
    name,
    plugin_args: Object.freeze(Array.isArray(args) ? [...(args as string[])] : []),
    plugin_data: deepFreeze(isHclObject(data) ? data : {}),
    enabled: enabled === true,
    ...optional('plugin_cmd', optionalString('plugin_cmd')),
    ...optional('plugin_checksum', optionalString('plugin_checksum')),
    ...optional('plugin_data_file', optionalString('plugin_data_file')),
    ...optional('line', line),
  };
  return Object.freeze(entry);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Freezes a plain value and everything reachable from it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
