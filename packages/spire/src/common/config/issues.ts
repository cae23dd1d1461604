import type { z } from 'zod';
import { ConfigError, ConfigErrorCode, type ConfigIssue } from './errors.js';

/** Where a key came from, to point the operator at it. */
export interface KeySources {
  /** Line of each dotted key path in the file (see `keyLines`). */
  readonly lines: ReadonlyMap<string, number>;
  /** Dotted key paths set by a command-line flag, mapped to the flag's name. */
  readonly flags?: ReadonlyMap<string, string>;
  /** What to call the file in messages, for example its path. */
  readonly source?: string;
}

/** Converts schema failures into a {@link ConfigError} whose messages name each key and line. */
export function configErrorFromZod(error: z.ZodError, where: KeySources): ConfigError {
  return new ConfigError(error.issues.flatMap((issue) => toIssues(issue, where)));
}

function toIssues(issue: z.core.$ZodIssue, where: KeySources): ConfigIssue[] {
  const base = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const path = [...base, key].join('.');
      const section = base.length === 0 ? 'the top level' : base.join('.');
      const rule = `unknown key; remove it or correct its spelling (see docs/config.md for ${section})`;
      return make(ConfigErrorCode.UnknownKey, path, rule, where);
    });
  }
  const path = base.join('.');
  const code =
    (issue.code === 'custom' && (issue.params?.code as ConfigErrorCode | undefined)) ||
    ConfigErrorCode.InvalidValue;
  return [make(code, path, ruleOf(issue), where)];
}

function make(code: ConfigErrorCode, path: string, rule: string, where: KeySources): ConfigIssue {
  const flag = where.flags?.get(path);
  const line = flag === undefined ? lineOf(path, where.lines) : undefined;
  let at = '';
  if (flag !== undefined) at = ` (from flag -${flag})`;
  else if (line !== undefined)
    at = ` (${where.source ?? 'line'}${where.source ? ':' : ' '}${line})`;
  const message = `${path || 'configuration'}${at}: ${rule}`;
  return line === undefined ? { code, path, message } : { code, path, line, message };
}

// The line of a key, or of its closest enclosing key when the key itself was not written.
function lineOf(path: string, lines: ReadonlyMap<string, number>): number | undefined {
  const parts = path.split('.');
  while (parts.length > 0) {
    const line = lines.get(parts.join('.'));
    if (line !== undefined) return line;
    parts.pop();
  }
  return undefined;
}

function ruleOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${article(issue.expected)}, got ${describe(issue.input)}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}, got ${describe(issue.input)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}, got ${describe(issue.input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

function article(expected: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'true or false',
    array: 'a list',
    object: 'a block',
  };
  return names[expected] ?? expected;
}

/** A short rendering of a decoded HCL value for error messages. */
export function describe(v: unknown): string {
  if (Array.isArray(v)) return v.length > 0 && typeof v[0] === 'object' ? 'a block' : 'a list';
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return 'a block';
  return String(v);
}
