/** Where a command reads and writes: injected so tests capture output without a process. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Environment variable lookup (for `-expandEnv` and the like). */
  readonly env: (name: string) => string | undefined;
  /** Working directory relative paths start from. */
  readonly cwd: string;
  /** Reads standard input to its end (`-data -`, `bundle set` without `-path`); none if absent. */
  readonly readStdin?: () => Promise<Uint8Array>;
}

/** The real process streams, environment and working directory. */
export function processIo(): CliIo {
  quietOnClosedOutput(process.stdout);
  quietOnClosedOutput(process.stderr);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: (name) => process.env[name],
    cwd: process.cwd(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

/**
 * A reader that went away (`spire-agent api fetch x509 | head -3`) ends the output: the process
 * exits quietly, as SPIRE's binaries end on SIGPIPE, instead of dying on an unhandled EPIPE with
 * a stack trace. Other stream errors are left as they were. Added once per stream.
 */
function quietOnClosedOutput(stream: NodeJS.WriteStream): void {
  if (stream.listeners('error').includes(exitOnEpipe)) return;
  stream.on('error', exitOnEpipe);
}

function exitOnEpipe(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
}

/**
 * One CLI verb, such as `validate` or `entry create`. `run` gets the arguments after the verb and
 * resolves to the process exit code.
 */
export interface Command {
  /** The words that select it, space-separated: `validate`, `entry create`. */
  readonly name: string;
  /** One line shown in the command list. */
  readonly synopsis: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A command whose module is imported on first use; `load` resolves to the real command. */
export interface LazyCommand extends Command {
  readonly load: () => Promise<Command>;
}

/**
 * A command listed by its name and synopsis whose module is imported only when it is chosen, so
 * a binary starts without loading every verb's dependencies (issue 4: CLI start-up). `load`
 * resolves to the real command; its `name` and `synopsis` must equal the ones given here.
 */
export function lazyCommand(
  name: string,
  synopsis: string,
  load: () => Promise<Command>,
): LazyCommand {
  return {
    name,
    synopsis,
    load,
    run: async (args, io) => (await load()).run(args, io),
  };
}
