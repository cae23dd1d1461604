import type { CliIo, Command } from '../../../common/cli/command.js';
import { FlagSet, type FlagSpec, type FlagValues } from '../../../common/cli/flagset.js';
import { usage } from '../../server/validate.js';
import {
  API_FLAGS,
  connectWorkloadApi,
  describeError,
  type WorkloadApiConnection,
} from './client.js';
import { type OutputFormat, outputFormat } from './output.js';

/** What an `api` command's body gets: its flag values, the connection and the I/O. */
export interface ApiCallContext {
  readonly flags: FlagValues;
  readonly conn: WorkloadApiConnection;
  readonly io: CliIo;
  /** `-output`: always `pretty` for a command without the flag. */
  readonly output: OutputFormat;
}

/**
 * Builds a `spire-agent api ...` command as SPIRE's adapter does: `-socketPath` and `-timeout`
 * plus the command's own flags, one connection to the Workload API, and any error printed on
 * stderr with exit code 1. The flag set is named after the last word (`Usage of fetch x509:`).
 * `outputFlags` (`-output`, and `-format` for `fetch jwt`) choose the output format; a bad value
 * is a usage error, as Go's flag package reports a `flag.Value` that refuses it.
 */
export function apiCommand(
  name: string,
  synopsis: string,
  flags: readonly FlagSpec[],
  body: (ctx: ApiCallContext) => Promise<void>,
  outputFlags: readonly FlagSpec[] = [],
): Command {
  return {
    name,
    synopsis,
    run: async (args, io) => {
      const flagSet = new FlagSet(name.replace(/^api /, ''), [
        ...API_FLAGS,
        ...flags,
        ...outputFlags,
      ]);
      const parsed = flagSet.parse(args);
      if (!parsed.ok) return usage(parsed, io);
      const chosen = outputFormat(
        parsed.values,
        outputFlags.map((f) => f.name),
      );
      if ('error' in chosen) {
        return usage({ help: false, output: `${chosen.error}\n${flagSet.usage()}` }, io);
      }

      const conn = connectWorkloadApi(
        String(parsed.values['socketPath']),
        Number(parsed.values['timeout']),
      );
      try {
        await body({ flags: parsed.values, conn, io, output: chosen.format });
        return 0;
      } catch (err) {
        io.stderr.write(`${describeError(err)}\n`);
        return 1;
      } finally {
        conn.close();
      }
    },
  };
}

/** Call options with the `-timeout` deadline (none when 0). */
export function callOptions(conn: WorkloadApiConnection, signal?: AbortSignal) {
  return {
    ...(conn.timeoutMs > 0 ? { timeoutMs: conn.timeoutMs } : {}),
    ...(signal ? { signal } : {}),
  };
}

/** The first message of a server stream, then the stream is cancelled. */
export async function firstOf<T>(open: (signal: AbortSignal) => AsyncIterable<T>): Promise<T> {
  const abort = new AbortController();
  try {
    for await (const message of open(abort.signal)) return message;
    throw new Error('the workload api closed the stream without a response');
  } finally {
    abort.abort();
  }
}
