/** Runs a `spire-server` verb in-process against a harness socket and captures its output. */
import type { CliIo, Command } from '../../../src/common/cli/command.js';
import type { ServerHarness } from '../../support/server-harness.js';

/** Exit code and captured streams of one verb run. */
export interface VerbRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` with `args` plus `-socketPath <harness socket>`; `stdin` feeds `-data -` etc. */
export async function runVerb(
  h: ServerHarness,
  cmd: Command,
  args: readonly string[],
  stdin = '',
): Promise<VerbRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: () => undefined,
    cwd: h.dir,
    readStdin: async () => Buffer.from(stdin),
  };
  const code = await cmd.run([...args, '-socketPath', h.socketPath], io);
  return { code, stdout, stderr };
}
