import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/common/config/errors.js';
import { parseConfigText } from '../../../src/common/config/source.js';
import { buildServerConfig, loadServerConfig } from '../../../src/server/config/index.js';

const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));

const MINIMAL = 'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n}\nplugins {}\n';

function build(text: string, flags = {}) {
  return buildServerConfig(parseConfigText(text, 's.conf'), flags);
}

function failure(text: string, flags = {}): ConfigError {
  try {
    build(text, flags);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadServerConfig', () => {
  it('loads the sample conf/server/server.conf unchanged, with defaults filled in', () => {
    const c = loadServerConfig({ config: 'conf/server/server.conf' }, { cwd: repoRoot });
    expect(c.trust_domain).toBe('example.org');
    expect([c.bind_address, c.bind_port, c.socket_path]).toEqual([
      '127.0.0.1',
      8081,
      '/tmp/spire-server/private/api.sock',
    ]);
    expect(c.data_dir).toBe('./data/server');
    expect([c.ca_ttl_ms, c.default_x509_svid_ttl_ms, c.default_jwt_svid_ttl_ms]).toEqual([
      168 * 3_600_000,
      48 * 3_600_000,
      300_000,
    ]);
    expect([c.log_level, c.log_format]).toEqual(['debug', 'text']);
    expect(c.plugins.map((p) => [p.type, p.name, p.plugin_data, p.enabled, p.line])).toEqual([
      [
        'DataStore',
        'sql',
        { database_type: 'sqlite3', connection_string: './data/server/datastore.sqlite3' },
        true,
        14,
      ],
      ['KeyManager', 'disk', { keys_path: './data/server/keys.json' }, true, 21],
      ['NodeAttestor', 'join_token', {}, true, 27],
    ]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.plugins[0]?.plugin_data)).toBe(true);
  });

  it('applies SPIRE defaults to a minimal file', () => {
    const c = build(MINIMAL);
    expect(c).toMatchObject({
      bind_address: '0.0.0.0',
      bind_port: 8081,
      ca_key_type: 'ec-p256',
      jwt_key_type: 'ec-p256',
      ca_ttl_ms: 86_400_000,
      default_x509_svid_ttl_ms: 3_600_000,
      agent_ttl_ms: 3_600_000,
      ca_subject: { country: ['US'], organization: ['SPIFFE'], common_name: '' },
      ratelimit: { attestation: true, signing: true },
      experimental: { cache_reload_interval_ms: 5_000, event_timeout_ms: 900_000 },
      health_checks: { listener_enabled: false, bind_address: 'localhost', bind_port: 80 },
      warnings: [],
    });
  });

  it('reports a missing file with its absolute path', () => {
    expect(() => loadServerConfig({ config: 'nope.conf' }, { cwd: '/tmp' })).toThrow(
      'could not find config file /tmp/nope.conf: please use the -config flag',
    );
  });

  it('lets flags override the file (D17: flag over file over default)', () => {
    const c = build(MINIMAL, {
      bindAddress: '::1',
      serverPort: 9000,
      trustDomain: 'other.org',
      logLevel: 'WARN',
    });
    expect([c.bind_address, c.bind_port, c.trust_domain, c.log_level]).toEqual([
      '::1',
      9000,
      'other.org',
      'warn',
    ]);
  });

  it('takes the trust domain from a flag when the file has none', () => {
    const c = build('server { data_dir = "/d" }\nplugins {}', { trustDomain: 'example.org' });
    expect(c.trust_domain).toBe('example.org');
  });

  it.each([
    ['example.org', 'example.org'],
    ['spiffe://example.org', 'example.org'],
    ['Example.ORG', 'example.org'],
  ])('C05: trust_domain %j reads as %j', (td, expected) => {
    expect(
      build(`server {\n trust_domain = "${td}"\n data_dir = "/d"\n}\nplugins {}`).trust_domain,
    ).toBe(expected);
  });
});

describe('server configuration errors', () => {
  it.each([
    [
      'C35: a misspelt key',
      'server {\n  bind_address = "127.0.0.1"\n  trust_domian = "example.org"\n}\nplugins {}',
      'ERR_CONFIG_UNKNOWN_KEY',
      'server.trust_domian (line 3): unknown key; remove it or correct its spelling (see docs/config.md for server)',
    ],
    [
      'C35: a plugin block inside server',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n  KeyManager "disk" {}\n}\nplugins {}',
      'ERR_CONFIG_UNKNOWN_KEY',
      'server.KeyManager (line 4): unknown key; remove it or correct its spelling (see docs/config.md for server)',
    ],
    [
      'an unknown top-level section',
      `${MINIMAL}agent {}\n`,
      'ERR_CONFIG_UNKNOWN_KEY',
      'agent (line 6): unknown key; remove it or correct its spelling (see docs/config.md for the top level)',
    ],
    [
      'D22: a duration in days',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n  ca_ttl = "2d"\n}\nplugins {}',
      'ERR_CONFIG_BAD_DURATION',
      'server.ca_ttl (line 4): invalid duration "2d": unknown unit "d"; use Go duration syntax such as "1h30m", "90s" or "300ms"',
    ],
    [
      'D22: a duration without unit',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n  default_x509_svid_ttl = "172800"\n}\nplugins {}',
      'ERR_CONFIG_BAD_DURATION',
      'server.default_x509_svid_ttl (line 4): invalid duration "172800": "172800" has no unit; use Go duration syntax such as "1h30m", "90s" or "300ms"',
    ],
    [
      'a negative duration',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n  ca_ttl = "-1h"\n}\nplugins {}',
      'ERR_CONFIG_BAD_DURATION',
      'server.ca_ttl (line 4): duration "-1h" is negative; give a duration of zero or more',
    ],
    [
      'a port that is not a number',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n  bind_port = "http"\n}\nplugins {}',
      'ERR_CONFIG_INVALID_VALUE',
      'server.bind_port (line 4): must be a number, got "http"',
    ],
    [
      'a port out of range',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n  bind_port = 70000\n}\nplugins {}',
      'ERR_CONFIG_INVALID_VALUE',
      'server.bind_port (line 4): must be at most 65535, got 70000',
    ],
    [
      'an unknown key type',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n  ca_key_type = "ed25519"\n}\nplugins {}',
      'ERR_CONFIG_INVALID_VALUE',
      'server.ca_key_type (line 4): must be one of "rsa-2048", "rsa-4096", "ec-p256", "ec-p384", got "ed25519"',
    ],
    [
      'a boolean given as a string',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n  audit_log_enabled = "yes"\n}\nplugins {}',
      'ERR_CONFIG_INVALID_VALUE',
      'server.audit_log_enabled (line 4): must be true or false, got "yes"',
    ],
    [
      'an unknown key in experimental',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n  experimental {\n    cache_reload = "5s"\n  }\n}\nplugins {}',
      'ERR_CONFIG_UNKNOWN_KEY',
      'server.experimental.cache_reload (line 5): unknown key; remove it or correct its spelling (see docs/config.md for server.experimental)',
    ],
    [
      'D17: no trust domain',
      'server {\n  data_dir = "/d"\n}\nplugins {}',
      'ERR_CONFIG_MISSING',
      'trust_domain must be configured',
    ],
    [
      'no data_dir',
      'server {\n  trust_domain = "example.org"\n}\nplugins {}',
      'ERR_CONFIG_MISSING',
      'data_dir must be configured',
    ],
    [
      'no plugins section',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n}',
      'ERR_CONFIG_MISSING',
      'plugins section must be configured',
    ],
    ['no server section', 'plugins {}', 'ERR_CONFIG_MISSING', 'server section must be configured'],
    [
      'an invalid trust domain',
      'server {\n  trust_domain = "exa mple.org"\n  data_dir = "/d"\n}\nplugins {}',
      'ERR_CONFIG_INVALID_VALUE',
      'server.trust_domain: invalid trust domain "exa mple.org": SPIFFE-ID §2.1 allows only letters, digits, ".", "-" and "_"; write it as example.org',
    ],
    [
      'a trust domain given as an ID with a path',
      'server {\n  trust_domain = "spiffe://example.org/x"\n  data_dir = "/d"\n}\nplugins {}',
      'ERR_CONFIG_INVALID_VALUE',
      'server.trust_domain: invalid trust domain "spiffe://example.org/x": a SPIFFE ID here must be spiffe://<name> with no path; write it as example.org',
    ],
    [
      'an unknown key in a plugin entry',
      'server {\n  trust_domain = "example.org"\n  data_dir = "/d"\n}\nplugins {\n  KeyManager "disk" {\n    plugin_dta {}\n  }\n}',
      'ERR_CONFIG_UNKNOWN_KEY',
      'plugins.KeyManager.disk.plugin_dta (line 7): unknown key; a plugin entry takes plugin_cmd, plugin_args, plugin_checksum, plugin_data, plugin_data_file, enabled',
    ],
    [
      'plugin_data and plugin_data_file together',
      `${MINIMAL.replace('plugins {}', 'plugins {\n  KeyManager "disk" {\n    plugin_data {}\n    plugin_data_file = "x"\n  }\n}')}`,
      'ERR_CONFIG_CONFLICT',
      'plugins.KeyManager.disk (line 6): only one of plugin_data or plugin_data_file can be used',
    ],
    [
      'a plugin declared twice',
      `${MINIMAL.replace('plugins {}', 'plugins {\n  KeyManager "disk" {}\n  KeyManager "disk" {}\n}')}`,
      'ERR_CONFIG_INVALID_VALUE',
      'plugins.KeyManager.disk (line 6): plugin KeyManager "disk" is declared more than once; keep one',
    ],
    [
      'sql_transaction_timeout with event_timeout',
      'server {\n trust_domain = "example.org"\n data_dir = "/d"\n experimental {\n  event_timeout = "1m"\n  sql_transaction_timeout = "2m"\n }\n}\nplugins {}',
      'ERR_CONFIG_CONFLICT',
      'both experimental sql_transaction_timeout and event_timeout set, only set event_timeout',
    ],
    [
      'a federation relationship over plain HTTP',
      'server {\n trust_domain = "example.org"\n data_dir = "/d"\n federation {\n  federates_with "other.org" {\n   bundle_endpoint_url = "http://o"\n   bundle_endpoint_profile "https_web" {}\n  }\n }\n}\nplugins {}',
      'ERR_CONFIG_INVALID_VALUE',
      'server.federation.federates_with["other.org"].bundle_endpoint_url must use the HTTPS protocol; URL found: "http://o"',
    ],
    [
      'a bad proxy protocol CIDR',
      'server {\n trust_domain = "example.org"\n data_dir = "/d"\n proxy_protocol_trusted_cidrs = ["10.0.0.0/33"]\n}\nplugins {}',
      'ERR_CONFIG_INVALID_VALUE',
      'server.proxy_protocol_trusted_cidrs: invalid CIDR "10.0.0.0/33"; write it as 10.0.0.0/8 or fd00::/8',
    ],
    [
      'a server block given twice',
      `${MINIMAL}server {}\n`,
      'ERR_CONFIG_INVALID_VALUE',
      'server (line 1): block is given 2 times; write it once with all its options',
    ],
  ])('%s', (_name, text, code, message) => {
    const err = failure(text);
    expect(err.issues.map((i) => [i.code, i.message])).toEqual([[code, message]]);
    expect(err.code).toBe(code);
  });

  it('names the flag, not a line, when a flag carries the bad value', () => {
    const err = failure(MINIMAL, { logLevel: 'loud' });
    expect(err.message).toBe(
      'server.log_level (from flag -logLevel): must be one of "trace", "debug", "info", "warn", "error", "warning", got "loud"',
    );
  });

  it('reports every problem at once with ERR_CONFIG_INVALID', () => {
    const err = failure(
      'server {\n  trust_domian = "x"\n  ca_ttl = "1d"\n}\nplugins { A "b" { c = 1 } }',
    );
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.issues.map((i) => [i.code, i.path, i.line])).toEqual([
      ['ERR_CONFIG_BAD_DURATION', 'server.ca_ttl', 3],
      ['ERR_CONFIG_UNKNOWN_KEY', 'server.trust_domian', 2],
      ['ERR_CONFIG_UNKNOWN_KEY', 'plugins.A.b.c', 5],
    ]);
  });

  it('accepts map syntax without false positives (C35)', () => {
    const c = build(
      'server {\n trust_domain = "example.org"\n data_dir = "/d"\n ratelimit = { attestation = false }\n ca_subject = { common_name = "ca" }\n}\nplugins {\n  A "b" { plugin_data = { m = { k = "v" } } }\n}',
    );
    expect(c.ratelimit).toEqual({ attestation: false, signing: true });
    expect(c.ca_subject).toEqual({ country: [], organization: [], common_name: 'ca' });
    expect(c.plugins[0]?.plugin_data).toEqual({ m: { k: 'v' } });
  });

  it('warns when an SVID TTL cannot fit before CA rotation (ca_ttl / 6)', () => {
    const c = build(
      MINIMAL.replace('data_dir', 'ca_ttl = "6h"\n default_x509_svid_ttl = "61m"\n data_dir'),
    );
    expect(c.warnings).toEqual([
      'default_x509_svid_ttl is too high for the configured ca_ttl value; SVIDs with shorter lifetimes may be issued',
    ]);
  });
});
