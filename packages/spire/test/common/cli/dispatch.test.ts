import { describe, expect, it } from 'vitest';
import type { CliIo, Command } from '../../../src/common/cli/command.js';
import { dispatch } from '../../../src/common/cli/dispatch.js';

function capture(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    env: () => undefined,
    cwd: '/',
  };
}

const seen: string[][] = [];
const cmd = (name: string, synopsis: string): Command => ({
  name,
  synopsis,
  run: async (args) => {
    seen.push([name, ...args]);
    return 3;
  },
});
const commands = [
  cmd('validate', 'Validates a config'),
  cmd('entry create', 'Creates entries'),
  cmd('entry show', 'Shows entries'),
  cmd('healthcheck', 'Checks health'),
];

const LIST = [
  'Usage: spire-server [--version] [--help] <command> [<args>]\n\n',
  'Available commands are:\n' +
    '    entry create    Creates entries\n' +
    '    entry show      Shows entries\n' +
    '    healthcheck     Checks health\n' +
    '    validate        Validates a config\n',
];

describe('dispatch', () => {
  it('runs the longest matching command with the remaining arguments', async () => {
    const io = capture();
    expect(
      await dispatch('spire-server', commands, ['entry', 'create', '-spiffeID', 'x'], io),
    ).toBe(3);
    expect(seen.at(-1)).toEqual(['entry create', '-spiffeID', 'x']);
  });

  it.each([[[]], [['nope']]])('prints the command list and exits 127 for %j', async (args) => {
    const io = capture();
    expect(await dispatch('spire-server', commands, args, io)).toBe(127);
    expect(io.err).toEqual(LIST);
  });

  it('prints the command list and exits 0 for --help', async () => {
    const io = capture();
    expect(await dispatch('spire-server', commands, ['--help'], io)).toBe(0);
    expect(io.err).toEqual(LIST);
  });

  it('lists every full command with its synopsis, never a bare parent word', async () => {
    const io = capture();
    await dispatch('spire-server', commands, [], io);
    expect(io.err.join('')).not.toMatch(/^ {4}entry +$/m);
  });

  it('lists the subcommands of a parent word as mitchellh/cli does', async () => {
    const io = capture();
    expect(await dispatch('spire-server', commands, ['entry'], io)).toBe(1);
    expect(io.err.join('')).toBe(
      'This command is accessed by using one of the subcommands below.\n\nSubcommands:\n    create    Creates entries\n    show      Shows entries\n',
    );
  });

  it('prints the version for --version', async () => {
    const io = capture();
    expect(await dispatch('spire-server', commands, ['--version'], io, '1.2.3')).toBe(0);
    expect(io.out).toEqual(['1.2.3\n']);
  });
});
