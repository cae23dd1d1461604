import type { FlagSpec, FlagValues } from '../../common/cli/flagset.js';

/** Default path of the server configuration file, relative to the working directory. */
export const DEFAULT_SERVER_CONFIG_PATH = 'conf/server/server.conf';

/** The flags of `spire-server run` and `spire-server validate` (SPIRE §3.4). */
export const SERVER_RUN_FLAGS: readonly FlagSpec[] = [
  { name: 'bindAddress', kind: 'string', usage: 'IP address or DNS name of the SPIRE server' },
  {
    name: 'config',
    kind: 'string',
    usage: 'Path to a SPIRE config file',
    default: DEFAULT_SERVER_CONFIG_PATH,
  },
  { name: 'dataDir', kind: 'string', usage: 'Directory to store runtime data to' },
  { name: 'expandEnv', kind: 'bool', usage: 'Expand environment variables in SPIRE config file' },
  { name: 'logFile', kind: 'string', usage: 'File to write logs to' },
  { name: 'logFormat', kind: 'string', usage: "'text' or 'json'" },
  { name: 'logLevel', kind: 'string', usage: "'debug', 'info', 'warn', or 'error'" },
  {
    name: 'logSourceLocation',
    kind: 'bool',
    usage: 'Include source file, line number and function name in log lines',
  },
  { name: 'serverPort', kind: 'int', usage: 'Port number of the SPIRE server' },
  { name: 'socketPath', kind: 'string', usage: 'Path to bind the SPIRE Server API socket to' },
  { name: 'trustDomain', kind: 'string', usage: 'The trust domain that this server belongs to' },
];

// Flag name -> `server { }` key it overrides.
const FLAG_KEYS: Readonly<Record<string, string>> = {
  bindAddress: 'bind_address',
  dataDir: 'data_dir',
  logFile: 'log_file',
  logFormat: 'log_format',
  logLevel: 'log_level',
  logSourceLocation: 'log_source_location',
  serverPort: 'bind_port',
  socketPath: 'socket_path',
  trustDomain: 'trust_domain',
};

/**
 * The `server { }` keys the given flags override. As in SPIRE (flags merged over the file with
 * mergo), a flag overrides only when it carries a non-zero value: `-logSourceLocation=false` or
 * `-serverPort 0` leave the file's value alone.
 */
export function serverFlagOverrides(
  values: FlagValues,
): Map<string, { flag: string; value: unknown }> {
  const out = new Map<string, { flag: string; value: unknown }>();
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    const value = values[flag];
    if (value !== undefined && value !== '' && value !== 0 && value !== false) {
      out.set(key, { flag, value });
    }
  }
  return out;
}
