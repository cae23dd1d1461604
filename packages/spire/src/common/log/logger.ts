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
  let fd = opts.file === undefined ? undefined : openSync(opts.file, 'a', 0o640);
  const out = opts.stream ?? process.stderr;
  // After close(), lines still logged (a callback finishing during shutdown) go to the stream:
  // the closed fd number may already name another file.
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
  trees.set(logger, newTree());
  const close = () => {
    if (fd === undefined) return;
    const open = fd;
    fd = undefined;
    closeSync(open);
  };
  return { logger, close };
}

/**
 * Every logger made from one {@link createLogger} root, held weakly so that per-request children
 * can be collected. pino children keep the level they were born with, so changing the level at
 * run time (the Logger API) must reach each of them. The references of collected children are
 * dropped whenever the set has doubled since the last sweep, so that a server making a child per
 * request holds about as many references as it has live children, not one per request served.
 */
interface Tree {
  readonly members: Set<WeakRef<Logger>>;
  sweepAt: number;
}

const MIN_SWEEP_SIZE = 1024;
const trees = new WeakMap<Logger, Tree>();
const rootOf = new WeakMap<Logger, Logger>();

function newTree(): Tree {
  return { members: new Set(), sweepAt: MIN_SWEEP_SIZE };
}

function joinTree(root: Logger, child: Logger): void {
  rootOf.set(child, root);
  const tree = trees.get(root);
  if (!tree) return;
  tree.members.add(new WeakRef(child));
  if (tree.members.size >= tree.sweepAt) {
    for (const ref of tree.members) if (!ref.deref()) tree.members.delete(ref);
    tree.sweepAt = Math.max(MIN_SWEEP_SIZE, 2 * tree.members.size);
  }
}

/** How many child references `logger`'s tree holds (live children, and collected ones not yet swept). */
export function treeReferenceCount(logger: Logger): number {
  return trees.get(rootOf.get(logger) ?? logger)?.members.size ?? 0;
}

/**
 * Sets the level of `logger`'s whole tree: its root and every live child, whatever the depth.
 * A logger not made by {@link createLogger} has only its own level set.
 */
export function setTreeLevel(logger: Logger, level: string): void {
  const root = rootOf.get(logger) ?? logger;
  root.level = level;
  const members = trees.get(root)?.members;
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
