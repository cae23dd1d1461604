import type { Command } from '../../common/cli/command.js';
import {
  agentBanCommand,
  agentCountCommand,
  agentEvictCommand,
  agentListCommand,
  agentShowCommand,
} from './agent/verbs.js';
import {
  bundleCountCommand,
  bundleDeleteCommand,
  bundleListCommand,
  bundleSetCommand,
  bundleShowCommand,
} from './bundle/verbs.js';
import { debugGetInfoCommand } from './debug/getinfo.js';
import { entryCreateCommand } from './entry/create.js';
import { entryDeleteCommand } from './entry/delete.js';
import { entryCountCommand, entryShowCommand } from './entry/show.js';
import { entryUpdateCommand } from './entry/update.js';
import { serverHealthcheckCommand } from './healthcheck.js';
import { jwtMintCommand } from './jwt/mint.js';
import { loggerGetCommand, loggerResetCommand, loggerSetCommand } from './logger/verbs.js';
import { serverRunCommand } from './run.js';
import { tokenGenerateCommand } from './token/generate.js';
import { serverValidateCommand } from './validate.js';
import { x509MintCommand } from './x509/mint.js';

/**
 * Every `spire-server` verb. Registration is this plain list: add a command by appending it
 * (its `name` is the words that select it, such as `entry create`).
 */
export const serverCommands: Command[] = [
  serverValidateCommand,
  serverRunCommand(),
  serverHealthcheckCommand,
  tokenGenerateCommand,
  agentListCommand,
  agentCountCommand,
  agentShowCommand,
  agentEvictCommand,
  agentBanCommand,
  bundleCountCommand,
  bundleShowCommand,
  bundleListCommand,
  bundleSetCommand,
  bundleDeleteCommand,
  debugGetInfoCommand,
  entryCountCommand,
  entryCreateCommand,
  entryUpdateCommand,
  entryDeleteCommand,
  entryShowCommand,
  loggerGetCommand,
  loggerSetCommand,
  loggerResetCommand,
  x509MintCommand,
  jwtMintCommand,
];
