import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import type { CliIo } from '../../src/common/cli/command.js';

async function spireServer(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: () => undefined,
    cwd: '/',
  };
  const code = await main('spire-server', args, io);
  return { code, stdout, stderr };
}

// The full commands and synopses of SPIRE's cmd/spire-server/cli that spire-ts implements.
const COMMANDS: [string, string][] = [
  ['agent ban', 'Ban an attested agent given its SPIFFE ID'],
  ['agent count', 'Count attested agents'],
  ['agent evict', 'Evicts an attested agent given its SPIFFE ID'],
  ['agent list', 'Lists attested agents and their SPIFFE IDs'],
  ['agent show', 'Shows the details of an attested agent given its SPIFFE ID'],
  ['bundle count', 'Count bundles'],
  ['bundle delete', 'Deletes federated bundle data'],
  ['bundle list', 'Lists federated bundle data'],
  ['bundle set', 'Creates or updates federated bundle data'],
  ['bundle show', 'Prints server CA bundle to stdout'],
  ['debug getinfo', 'Prints debug information about the server'],
  ['entry count', 'Count registration entries'],
  ['entry create', 'Creates registration entries'],
  ['entry delete', 'Deletes registration entries'],
  ['entry show', 'Displays configured registration entries'],
  ['entry update', 'Updates registration entries'],
  ['healthcheck', 'Determines server health status'],
  ['jwt mint', 'Mints a JWT-SVID'],
  ['logger get', 'Gets the logger details'],
  ['logger reset', 'Reset the logger details to launch level'],
  ['logger set', 'Sets the logger details'],
  ['run', 'Runs the server'],
  ['token generate', 'Generates a join token'],
  ['validate', 'Validates a SPIRE server configuration file'],
  ['x509 mint', 'Mints an X509-SVID'],
];

describe('spire-server command list', () => {
  it('with no verb lists every full command with its synopsis, sorted, exit 127', async () => {
    const out = await spireServer([]);
    expect(out.code).toBe(127);
    const listed = out.stderr
      .split('\n')
      .filter((l) => l.startsWith('    '))
      .map((l) => l.trim().split(/ {4,}/));
    for (const want of COMMANDS) expect(listed).toContainEqual(want);
    const names = listed.map(([name]) => name ?? '');
    expect(names).toEqual([...names].sort());
    expect(listed.every((row) => row.length === 2 && row[1] !== '')).toBe(true);
    expect(
      out.stderr.startsWith(
        'Usage: spire-server [--version] [--help] <command> [<args>]\n\nAvailable commands are:\n',
      ),
    ).toBe(true);
  });

  it('a parent word lists its subcommands, exit 1', async () => {
    const out = await spireServer(['bundle']);
    expect(out).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'This command is accessed by using one of the subcommands below.\n\nSubcommands:\n' +
        '    count     Count bundles\n' +
        '    delete    Deletes federated bundle data\n' +
        '    list      Lists federated bundle data\n' +
        '    set       Creates or updates federated bundle data\n' +
        '    show      Prints server CA bundle to stdout\n',
    });
  });
});
