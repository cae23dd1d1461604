import { ConfigError, type ConfigIssue } from './errors.js';
import { type HclObject, isHclObject } from './hcl.js';

/** A flag's value for one key of a section, and the flag's name. */
export type FlagOverrides = ReadonlyMap<string, { flag: string; value: unknown }>;

/**
 * Overlays flag values on the first `<section> { }` block of decoded data (flags win over the
 * file). Returns the new data and, for error messages, which dotted key each flag set.
 */
export function overlayFlags(data: HclObject, section: string, overrides: FlagOverrides) {
  const flagKeys = new Map<string, string>();
  if (overrides.size === 0) return { data, flagKeys };
  const current = data[section];
  const blocks = Array.isArray(current) ? current : [current ?? {}];
  const merged: HclObject = { ...(isHclObject(blocks[0]) ? blocks[0] : {}) };
  for (const [key, { flag, value }] of overrides) {
    merged[key] = value;
    flagKeys.set(`${section}.${key}`, flag);
  }
  return { data: { ...data, [section]: [merged, ...blocks.slice(1)] }, flagKeys };
}

/** Runs `fn`; a {@link ConfigError} it throws is added to `issues` instead of propagating. */
export function collectIssues<T>(issues: ConfigIssue[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
    return undefined;
  }
}
