import { closeSync, openSync, writeSync } from 'node:fs';
import { type Logger, pino } from 'pino';
import { LogField } from './fields.js';
import type { LogFormat, LogLevel } from './level.js';
import { jsonLine, textLine } from './text-format.js';

/** spire-ts's logger: pino, with fields named from {@link LogField}. */
export type SpireLogger = Logger;

/** Options of {@link createLogger}, from `log_level`, `log_format` and `log_file`. */
export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  /** Append to this file (created 0640) instead of writing to `stream`. */
  readonly file?: string;
  /** Where lines go when no file is given; defaults to stderr, as SPIRE logs. */
  readonly stream?: { write(line: string): unknown };
  /** Clock for timestamps; tests pass a fixed one. */
  readonly now?: () => Date;
}

/** A logger and the function that releases its file, if it opened one. */
export interface LoggerHandle {
  readonly logger: SpireLogger;
  close(): void;
}

/**
 * Creates the process logger. Lines follow SPIRE's `log_format`: `text` is logrus's
 * `time="..." level=info msg="..." key=value` and `json` is one sorted JSON object per line.
 * Child loggers per subsystem come from {@link subsystemLogger}.
 */
export function createLogger(opts: LoggerOptions = {}): LoggerHandle {
  const now = opts.now ?? (() => new Date());
  const fd = opts.file === undefined ? undefined : openSync(opts.file, 'a', 0o640);
  const out = opts.stream ?? process.stderr;
  const emit = (line: string) => (fd === undefined ? out.write(line) : writeSync(fd, line));
  const format = opts.format === 'json' ? jsonLine : textLine;
  const destination = {
    write(raw: string) {
      const { level, msg, ...fields } = JSON.parse(raw) as Record<string, unknown>;
      emit(format(now(), String(level), String(msg ?? ''), fields));
    },
  };
  const logger = pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      timestamp: false,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
      serializers: { [LogField.Error]: (e: unknown) => (e instanceof Error ? e.message : e) },
      onChild: (child) => joinTree(logger, child),
    },
    destination,
  );
  trees.set(logger, new Set());
  return { logger, close: () => fd !== undefined && closeSync(fd) };
}

/**
 * Every logger made from one {@link createLogger} root, held weakly so that per-request children
 * can be collected. pino children keep the level they were born with, so changing the level at
 * run time (the Logger API) must reach each of them.
 */
const trees = new WeakMap<Logger, Set<WeakRef<Logger>>>();
const rootOf = new WeakMap<Logger, Logger>();

function joinTree(root: Logger, child: Logger): void {
  rootOf.set(child, root);
  trees.get(root)?.add(new WeakRef(child));
}

/**
 * Sets the level of `logger`'s whole tree: its root and every live child, whatever the depth.
 * A logger not made by {@link createLogger} has only its own level set.
 */
export function setTreeLevel(logger: Logger, level: string): void {
  const root = rootOf.get(logger) ?? logger;
  root.level = level;
  const members = trees.get(root);
  if (!members) {
    logger.level = level;
    return;
  }
  for (const ref of members) {
    const child = ref.deref();
    if (child) child.level = level;
    else members.delete(ref);
  }
}

/** A child logger for one subsystem, tagging every line with `subsystem_name`. */
export function subsystemLogger(parent: SpireLogger, name: string): SpireLogger {
  return parent.child({ [LogField.SubsystemName]: name });
}
