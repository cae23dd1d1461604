import { SpiffeError } from '@spire-ts/spiffe';

/** Stable codes of every configuration failure. */
export const ConfigErrorCode = {
  /** The configuration file does not exist. */
  FileNotFound: 'ERR_CONFIG_FILE_NOT_FOUND',
  /** The configuration file exists but cannot be read. */
  FileUnreadable: 'ERR_CONFIG_FILE_UNREADABLE',
  /** The text is not valid HCL (or JSON). */
  Syntax: 'ERR_CONFIG_SYNTAX',
  /** A key that no section of the configuration defines. */
  UnknownKey: 'ERR_CONFIG_UNKNOWN_KEY',
  /** A value of the wrong type or outside its allowed set. */
  InvalidValue: 'ERR_CONFIG_INVALID_VALUE',
  /** A duration that is not in Go `time.ParseDuration` syntax. */
  BadDuration: 'ERR_CONFIG_BAD_DURATION',
  /** A required option is absent. */
  Missing: 'ERR_CONFIG_MISSING',
  /** Options that cannot be given together. */
  Conflict: 'ERR_CONFIG_CONFLICT',
  /** Several problems at once: see `issues`. */
  Invalid: 'ERR_CONFIG_INVALID',
} as const;

/** One of the values of {@link ConfigErrorCode}. */
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];

/** One problem found in a configuration: what is wrong, where, and the code to branch on. */
export interface ConfigIssue {
  readonly code: ConfigErrorCode;
  /** Dotted key path such as `server.ca_ttl`; empty for whole-file problems. */
  readonly path: string;
  /** 1-based line in the source text where the key was found, when known. */
  readonly line?: number;
  /** Full sentence naming the key, the rule broken and how to fix it. */
  readonly message: string;
}

/**
 * A configuration that cannot be used. `issues` lists every problem found (at least one); the
 * error's own `code` and `message` are those of the only issue, or `ERR_CONFIG_INVALID` and all
 * messages joined by `; ` when there are several.
 */
export class ConfigError extends SpiffeError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const first = issues[0];
    const single = issues.length === 1 && first !== undefined;
    super(
      single ? first.code : ConfigErrorCode.Invalid,
      issues.map((i) => i.message).join('; '),
      options,
    );
    this.issues = Object.freeze([...issues]);
  }

  /** A configuration error with a single issue. */
  static of(code: ConfigErrorCode, message: string, path = '', line?: number): ConfigError {
    return new ConfigError([{ code, path, message, ...(line === undefined ? {} : { line }) }]);
  }
}
