import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, ConfigErrorCode } from './errors.js';
import { type EnvLookup, expandEnv } from './expand-env.js';
import { type HclObject, parseHcl } from './hcl.js';
import { keyLines } from './key-lines.js';

/** A configuration file read and parsed, with the line of each key for error messages. */
export interface ConfigSource {
  /** The path as given (relative paths are relative to `cwd`). */
  readonly path: string;
  /** The decoded document (blocks are lists of objects, as HCL v1 decodes them). */
  readonly data: HclObject;
  /** Line of each dotted key path. */
  readonly lines: ReadonlyMap<string, number>;
}

/** How to read a configuration file. */
export interface ReadOptions {
  /** Expand `$VAR` / `${VAR}` in the raw text before parsing (`-expandEnv`). */
  readonly expandEnv?: boolean;
  /** Variable lookup for `expandEnv`; defaults to `process.env`. */
  readonly env?: EnvLookup;
  /** Directory relative paths start from; defaults to `process.cwd()`. */
  readonly cwd?: string;
}

/** Parses configuration text (HCL v1 or JSON) already in memory. */
export function parseConfigText(text: string, path: string, opts: ReadOptions = {}): ConfigSource {
  const env = opts.env ?? ((name: string) => process.env[name]);
  const expanded = opts.expandEnv ? expandEnv(text, env) : text;
  return { path, data: parseHcl(expanded, path), lines: keyLines(expanded) };
}

/**
 * Reads and parses a configuration file. A missing file is `ERR_CONFIG_FILE_NOT_FOUND` naming its
 * absolute path, as SPIRE words it.
 */
export function readConfigFile(path: string, opts: ReadOptions = {}): ConfigSource {
  const abs = resolve(opts.cwd ?? process.cwd(), path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const msg = `could not find config file ${abs}: please use the -config flag`;
      throw ConfigError.of(ConfigErrorCode.FileNotFound, msg);
    }
    const msg = `unable to read configuration at "${path}": ${(err as Error).message}`;
    throw new ConfigError([{ code: ConfigErrorCode.FileUnreadable, path: '', message: msg }], {
      cause: err,
    });
  }
  return parseConfigText(text, path, opts);
}
