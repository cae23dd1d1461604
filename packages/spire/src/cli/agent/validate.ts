import { AGENT_RUN_FLAGS, loadAgentConfig } from '../../agent/config/index.js';
import type { Command } from '../../common/cli/command.js';
import { FlagSet } from '../../common/cli/flagset.js';
import { usage, verdict } from '../server/validate.js';

/**
 * `spire-agent validate`: loads the configuration as `spire-agent run` would, with the same flags
 * (bug-cases-2 D17), and prints SPIRE's verdict. Exit 0 when valid, 1 otherwise.
 */
export const agentValidateCommand: Command = {
  name: 'validate',
  synopsis: 'Validates a SPIRE agent configuration file',
  run: async (args, io) => {
    const parsed = new FlagSet('validate', AGENT_RUN_FLAGS).parse(args);
    if (!parsed.ok) return usage(parsed, io);
    return verdict('agent', io, () => loadAgentConfig(parsed.values, { cwd: io.cwd, env: io.env }));
  },
};
