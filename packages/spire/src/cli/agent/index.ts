import type { Command } from '../../common/cli/command.js';
import {
  apiFetchCommand,
  apiFetchJwtCommand,
  apiFetchX509Command,
  apiValidateJwtCommand,
  apiWatchCommand,
} from './api/index.js';
import { agentHealthcheckCommand } from './healthcheck.js';
import { agentRunCommand } from './run.js';
import { agentValidateCommand } from './validate.js';

/**
 * Every `spire-agent` verb. Registration is this plain list: add a command by appending it
 * (its `name` is the words that select it, such as `api fetch x509`).
 */
export const agentCommands: Command[] = [
  agentValidateCommand,
  apiFetchCommand,
  apiFetchX509Command,
  apiFetchJwtCommand,
  apiValidateJwtCommand,
  apiWatchCommand,
  agentHealthcheckCommand,
  agentRunCommand,
];
