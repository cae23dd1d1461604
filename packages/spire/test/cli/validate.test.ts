// biome-ignore-all lint/suspicious/noTemplateCurlyInString: configuration text with ${VAR} references
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import type { CliIo } from '../../src/common/cli/command.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

function io(cwd: string, env: Record<string, string> = {}): CliIo & { out: string; err: string } {
  const box = {
    out: '',
    err: '',
    stdout: { write: (t: string) => (box.out += t) },
    stderr: { write: (t: string) => (box.err += t) },
    env: (n: string) => env[n],
    cwd,
  };
  return box;
}

function tempConf(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'spire-validate-'));
  writeFileSync(join(dir, 's.conf'), text);
  return dir;
}

describe('spire-server validate', () => {
  it('accepts the sample conf from the default path', async () => {
    const c = io(repoRoot);
    expect(await main('spire-server', ['validate'], c)).toBe(0);
    expect([c.out, c.err]).toEqual(['SPIRE server configuration file is valid.\n', '']);
  });

  it('D17: applies -expandEnv and -trustDomain as run does', async () => {
    const dir = tempConf('server {\n  data_dir = "${DATA}"\n}\nplugins {}\n');
    const c = io(dir, { DATA: '/tmp/d' });
    const code = await main(
      'spire-server',
      ['validate', '-config', 's.conf', '-expandEnv', '-trustDomain', 'example.org'],
      c,
    );
    expect([code, c.out]).toEqual([0, 'SPIRE server configuration file is valid.\n']);
  });

  it('D17: names the missing trust domain on stderr and exits 1', async () => {
    const dir = tempConf('server {\n  data_dir = "/d"\n}\nplugins {}\n');
    const c = io(dir);
    expect(await main('spire-server', ['validate', '-config', 's.conf'], c)).toBe(1);
    expect([c.out, c.err]).toEqual([
      '',
      'SPIRE server configuration file is invalid: trust_domain must be configured\n',
    ]);
  });

  it('lists every problem when there are several', async () => {
    const dir = tempConf('server {\n  trust_domian = "x"\n  ca_ttl = "1d"\n}\nplugins {}\n');
    const c = io(dir);
    expect(await main('spire-server', ['validate', '-config', 's.conf'], c)).toBe(1);
    expect(c.err).toBe(
      'SPIRE server configuration file is invalid.\nValidation errors:\n' +
        '  server.ca_ttl (line 3): invalid duration "1d": unknown unit "d"; use Go duration syntax such as "1h30m", "90s" or "300ms"\n' +
        '  server.trust_domian (line 2): unknown key; remove it or correct its spelling (see docs/config.md for server)\n',
    );
  });

  it('refuses an unknown flag with the usage, exit 1', async () => {
    const c = io(repoRoot);
    expect(await main('spire-server', ['validate', '-cfg', 'x'], c)).toBe(1);
    expect(c.err.split('\n').slice(0, 3)).toEqual([
      'flag provided but not defined: -cfg',
      'Usage of validate:',
      '  -bindAddress string',
    ]);
  });
});

describe('spire-agent validate', () => {
  it('accepts the sample conf from the default path', async () => {
    const c = io(repoRoot);
    expect(await main('spire-agent', ['validate'], c)).toBe(0);
    expect(c.out).toBe('SPIRE agent configuration file is valid.\n');
  });

  it('D20: refuses -trustBundleUrl on top of insecure_bootstrap', async () => {
    const c = io(repoRoot);
    const code = await main(
      'spire-agent',
      ['validate', '-trustBundleUrl', 'https://127.0.0.1:9443/b'],
      c,
    );
    expect([code, c.err]).toEqual([
      1,
      'SPIRE agent configuration file is invalid: only one of insecure_bootstrap or trust_bundle_url can be specified, not both\n',
    ]);
  });
});
