import type { Command } from '../../common/cli/command.js';
import { serverHealthcheckCommand } from './healthcheck.js';
import { serverRunCommand } from './run.js';
import { serverValidateCommand } from './validate.js';

/**
 * Every `spire-server` verb. Registration is this plain list: add a command by appending it
 * (its `name` is the words that select it, such as `entry create`).
 */
export const serverCommands: Command[] = [
  serverValidateCommand,
  serverRunCommand(),
  serverHealthcheckCommand,
];
