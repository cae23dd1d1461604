import { type LazyCommand, lazyCommand } from '../../common/cli/command.js';

/**
 * Every `spire-server` verb. Registration is this plain list: add a command by appending a
 * `lazyCommand` with its name (the words that select it, such as `entry create`), its synopsis
 * and the import of its module; only the chosen verb's module is loaded (issue 4: start-up).
 */
export const serverCommands: LazyCommand[] = [
  lazyCommand('validate', 'Validates a SPIRE server configuration file', async () => {
    return (await import('./validate.js')).serverValidateCommand;
  }),
  lazyCommand('run', 'Runs the server', async () => (await import('./run.js')).serverRunCommand()),
  lazyCommand('healthcheck', 'Determines server health status', async () => {
    return (await import('./healthcheck.js')).serverHealthcheckCommand;
  }),
  lazyCommand('token generate', 'Generates a join token', async () => {
    return (await import('./token/generate.js')).tokenGenerateCommand;
  }),
  lazyCommand('agent list', 'Lists attested agents and their SPIFFE IDs', async () => {
    return (await import('./agent/verbs.js')).agentListCommand;
  }),
  lazyCommand('agent count', 'Count attested agents', async () => {
    return (await import('./agent/verbs.js')).agentCountCommand;
  }),
  lazyCommand(
    'agent show',
    'Shows the details of an attested agent given its SPIFFE ID',
    async () => (await import('./agent/verbs.js')).agentShowCommand,
  ),
  lazyCommand('agent evict', 'Evicts an attested agent given its SPIFFE ID', async () => {
    return (await import('./agent/verbs.js')).agentEvictCommand;
  }),
  lazyCommand('agent ban', 'Ban an attested agent given its SPIFFE ID', async () => {
    return (await import('./agent/verbs.js')).agentBanCommand;
  }),
  lazyCommand('bundle count', 'Count bundles', async () => {
    return (await import('./bundle/verbs.js')).bundleCountCommand;
  }),
  lazyCommand('bundle show', 'Prints server CA bundle to stdout', async () => {
    return (await import('./bundle/verbs.js')).bundleShowCommand;
  }),
  lazyCommand('bundle list', 'Lists federated bundle data', async () => {
    return (await import('./bundle/verbs.js')).bundleListCommand;
  }),
  lazyCommand('bundle set', 'Creates or updates federated bundle data', async () => {
    return (await import('./bundle/verbs.js')).bundleSetCommand;
  }),
  lazyCommand('bundle delete', 'Deletes federated bundle data', async () => {
    return (await import('./bundle/verbs.js')).bundleDeleteCommand;
  }),
  lazyCommand('debug getinfo', 'Prints debug information about the server', async () => {
    return (await import('./debug/getinfo.js')).debugGetInfoCommand;
  }),
  lazyCommand('entry count', 'Count registration entries', async () => {
    return (await import('./entry/show.js')).entryCountCommand;
  }),
  lazyCommand('entry create', 'Creates registration entries', async () => {
    return (await import('./entry/create.js')).entryCreateCommand;
  }),
  lazyCommand('entry update', 'Updates registration entries', async () => {
    return (await import('./entry/update.js')).entryUpdateCommand;
  }),
  lazyCommand('entry delete', 'Deletes registration entries', async () => {
    return (await import('./entry/delete.js')).entryDeleteCommand;
  }),
  lazyCommand('entry show', 'Displays configured registration entries', async () => {
    return (await import('./entry/show.js')).entryShowCommand;
  }),
  lazyCommand('logger get', 'Gets the logger details', async () => {
    return (await import('./logger/verbs.js')).loggerGetCommand;
  }),
  lazyCommand('logger set', 'Sets the logger details', async () => {
    return (await import('./logger/verbs.js')).loggerSetCommand;
  }),
  lazyCommand('logger reset', 'Reset the logger details to launch level', async () => {
    return (await import('./logger/verbs.js')).loggerResetCommand;
  }),
  lazyCommand('x509 mint', 'Mints an X509-SVID', async () => {
    return (await import('./x509/mint.js')).x509MintCommand;
  }),
  lazyCommand('jwt mint', 'Mints a JWT-SVID', async () => {
    return (await import('./jwt/mint.js')).jwtMintCommand;
  }),
];
