import { describe, expect, it } from 'vitest';
import { agentCommands } from '../../src/cli/agent/index.js';
import { serverCommands } from '../../src/cli/server/index.js';
import { type CliIo, type Command, lazyCommand } from '../../src/common/cli/command.js';
import { dispatch } from '../../src/common/cli/dispatch.js';

const io: CliIo = {
  stdout: { write: () => true },
  stderr: { write: () => true },
  env: () => undefined,
  cwd: '/',
};

describe('lazy command registration', () => {
  const lists = [
    ['spire-server', serverCommands],
    ['spire-agent', agentCommands],
  ] as const;
  for (const [binary, list] of lists) {
    for (const entry of list) {
      it(`${binary} ${entry.name}: the loaded command has the listed name and synopsis`, async () => {
        const loaded = await entry.load();
        expect({ name: loaded.name, synopsis: loaded.synopsis }).toEqual({
          name: entry.name,
          synopsis: entry.synopsis,
        });
      });
    }
  }

  it('loads the module only when the command is chosen, then runs it with its arguments', async () => {
    const calls: string[] = [];
    const real: Command = {
      name: 'entry show',
      synopsis: 'Displays',
      run: async (args) => {
        calls.push(`run ${args.join(' ')}`);
        return 3;
      },
    };
    const lazy = lazyCommand('entry show', 'Displays', async () => {
      calls.push('load');
      return real;
    });
    const other = lazyCommand('entry create', 'Creates', async () => {
      calls.push('load other');
      return real;
    });
    expect(await dispatch('spire-server', [lazy, other], ['-h'], io)).toBe(0);
    expect(calls).toEqual([]);
    expect(await dispatch('spire-server', [lazy, other], ['entry', 'show', '-x', '1'], io)).toBe(3);
    expect(calls).toEqual(['load', 'run -x 1']);
  });
});
