import { type LazyCommand, lazyCommand } from '../../common/cli/command.js';

const X509_SYNOPSIS = 'Fetches X509 SVIDs from the Workload API';

/**
 * Every `spire-agent` verb. Registration is this plain list: add a command by appending a
 * `lazyCommand` with its name (the words that select it, such as `api fetch x509`), its synopsis
 * and the import of its module; only the chosen verb's module is loaded (issue 4: start-up).
 */
export const agentCommands: LazyCommand[] = [
  lazyCommand('validate', 'Validates a SPIRE agent configuration file', async () => {
    return (await import('./validate.js')).agentValidateCommand;
  }),
  lazyCommand('api fetch', X509_SYNOPSIS, async () => {
    return (await import('./api/fetch-x509.js')).apiFetchCommand;
  }),
  lazyCommand('api fetch x509', X509_SYNOPSIS, async () => {
    return (await import('./api/fetch-x509.js')).apiFetchX509Command;
  }),
  lazyCommand('api fetch jwt', 'Fetches a JWT SVID from the Workload API', async () => {
    return (await import('./api/fetch-jwt.js')).apiFetchJwtCommand;
  }),
  lazyCommand('api validate jwt', 'Validates a JWT SVID', async () => {
    return (await import('./api/validate-jwt.js')).apiValidateJwtCommand;
  }),
  lazyCommand(
    'api watch',
    "Attaches to the Workload API and prints updates as they're received",
    async () => (await import('./api/watch.js')).apiWatchCommand,
  ),
  lazyCommand('healthcheck', 'Determines agent health status', async () => {
    return (await import('./healthcheck.js')).agentHealthcheckCommand;
  }),
  lazyCommand('run', 'Runs the agent', async () => (await import('./run.js')).agentRunCommand),
];
