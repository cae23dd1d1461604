import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));
const CONF = fileURLToPath(new URL('../../../../conf/server/server.conf', import.meta.url));

describe('CLI output to a reader that went away (`| head`)', () => {
  it('ends quietly with status 0, as on SIGPIPE, not with an EPIPE stack trace', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { main } = await import(${JSON.stringify(CLI)});
         process.exitCode = await main('spire-server', ['validate', '-config', ${JSON.stringify(CONF)}]);`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // Closed before the child (still loading) writes its verdict line.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
