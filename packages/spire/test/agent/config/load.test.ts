import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildAgentConfig, loadAgentConfig } from '../../../src/agent/config/index.js';
import { ConfigError } from '../../../src/common/config/errors.js';
import { parseConfigText } from '../../../src/common/config/source.js';

const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
const BASE = 'trust_domain = "example.org"\n server_address = "localhost"\n server_port = 8081';
const conf = (agent: string) => `agent {\n ${BASE}\n ${agent}\n}\nplugins {}\n`;
const build = (text: string, flags = {}) =>
  buildAgentConfig(parseConfigText(text, 'a.conf'), flags);

function failure(text: string, flags = {}): ConfigError {
  try {
    build(text, flags);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadAgentConfig', () => {
  it('loads the sample conf/agent/agent.conf unchanged', () => {
    const c = loadAgentConfig({ config: 'conf/agent/agent.conf' }, { cwd: repoRoot });
    expect(c).toMatchObject({
      trust_domain: 'example.org',
      server_address: 'localhost',
      server_port: 8081,
      data_dir: './data/agent',
      socket_path: '/tmp/spire-agent/public/api.sock',
      log_level: 'debug',
      bootstrap: { kind: 'insecure' },
      experimental: { sync_interval_ms: 5_000, use_sync_authorized_entries: true },
      sds: {
        default_svid_name: 'default',
        default_bundle_name: 'ROOTCA',
        default_all_bundles_name: 'ALL',
      },
    });
    expect(c.plugins.map((p) => [p.type, p.name, p.plugin_data])).toEqual([
      ['KeyManager', 'disk', { directory: './data/agent' }],
      ['NodeAttestor', 'join_token', {}],
      ['WorkloadAttestor', 'unix', {}],
    ]);
  });

  it('lets run flags override the file', () => {
    const c = build(conf('insecure_bootstrap = true'), {
      serverAddress: '::1',
      serverPort: 9443,
      joinToken: 'T',
    });
    expect([c.server_address, c.server_port, c.join_token]).toEqual(['::1', 9443, 'T']);
  });

  it('reads a trust bundle path with its format', () => {
    const c = build(conf('trust_bundle_path = "/b.pem"\n trust_bundle_format = "spiffe"'));
    expect(c.bootstrap).toEqual({ kind: 'path', path: '/b.pem', format: 'spiffe' });
  });
});

describe('agent configuration errors', () => {
  it.each([
    [
      'D20: insecure_bootstrap with trust_bundle_url',
      conf('insecure_bootstrap = true\n trust_bundle_url = "https://h/b"'),
      'only one of insecure_bootstrap or trust_bundle_url can be specified, not both',
    ],
    [
      'D20: trust_bundle_url with trust_bundle_path',
      conf('trust_bundle_path = "/b"\n trust_bundle_url = "https://h/b"'),
      'only one of trust_bundle_url or trust_bundle_path can be specified, not both',
    ],
    [
      'D20: insecure_bootstrap with trust_bundle_path',
      conf('insecure_bootstrap = true\n trust_bundle_path = "/b"'),
      'only one of insecure_bootstrap or trust_bundle_path can be specified, not both',
    ],
    [
      'D20: all three',
      conf(
        'insecure_bootstrap = true\n trust_bundle_path = "/b"\n trust_bundle_url = "https://h/b"',
      ),
      'only one of insecure_bootstrap, trust_bundle_url, or trust_bundle_path can be specified, not the three options',
    ],
    [
      'D20: none of them',
      conf(''),
      'trust_bundle_path or trust_bundle_url must be configured unless insecure_bootstrap is set',
    ],
    [
      'D20: a plain http bundle URL',
      conf('trust_bundle_url = "http://h/b"'),
      'trust bundle URL must start with https://',
    ],
    [
      'join_token with join_token_file',
      conf('insecure_bootstrap = true\n join_token = "a"\n join_token_file = "/t"'),
      'only one of join_token or join_token_file can be specified, not both',
    ],
    [
      'a jwt_svid_cache_hit_timeout out of range',
      conf('insecure_bootstrap = true\n experimental { jwt_svid_cache_hit_timeout = "1s" }'),
      'agent.experimental.jwt_svid_cache_hit_timeout must be at least 5s and less than 30s',
    ],
    [
      'a misspelt agent key',
      conf('insecure_bootstrap = true\n sever_port = 1'),
      'agent.sever_port (line 6): unknown key; remove it or correct its spelling (see docs/config.md for agent)',
    ],
    [
      'a bad sync_interval',
      conf('insecure_bootstrap = true\n experimental {\n  sync_interval = "5"\n }'),
      'agent.experimental.sync_interval (line 7): invalid duration "5": "5" has no unit; use Go duration syntax such as "1h30m", "90s" or "300ms"',
    ],
    [
      'no server address',
      'agent {\n trust_domain = "example.org"\n server_port = 1\n insecure_bootstrap = true\n}\nplugins {}',
      'server_address must be configured',
    ],
  ])('%s', (_name, text, message) => {
    expect(failure(text).issues.map((i) => i.message)).toEqual([message]);
  });

  it('D20: the same conflict from flags (-insecureBootstrap -trustBundleUrl)', () => {
    const err = failure(conf(''), {
      insecureBootstrap: true,
      trustBundleUrl: 'https://127.0.0.1:9443/bundle',
    });
    expect([err.code, err.message]).toEqual([
      'ERR_CONFIG_CONFLICT',
      'only one of insecure_bootstrap or trust_bundle_url can be specified, not both',
    ]);
  });
});
