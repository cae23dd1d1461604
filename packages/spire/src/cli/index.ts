import { type CliIo, processIo } from '../common/cli/command.js';
import { dispatch } from '../common/cli/dispatch.js';
import { agentCommands } from './agent/index.js';
import { serverCommands } from './server/index.js';

/**
 * Entry point of the `spire-server` and `spire-agent` binaries: dispatches `args` (without the
 * node and script paths) to the binary's verbs and resolves to the exit code.
 */
export function main(
  binary: 'spire-server' | 'spire-agent',
  args: readonly string[],
  io: CliIo = processIo(),
): Promise<number> {
  const commands = binary === 'spire-server' ? serverCommands : agentCommands;
  return dispatch(binary, commands, args, io);
}
