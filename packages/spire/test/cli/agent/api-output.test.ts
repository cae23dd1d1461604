// `-output pretty|json` of `spire-agent api fetch x509|jwt` and `api validate jwt`, as SPIRE's
// cliprinter prints them: protojson with proto field names and every field, keys sorted, compact.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { goTime } from '../../../src/cli/agent/api/format.js';
import { goJson } from '../../../src/cli/agent/api/output.js';
import { main } from '../../../src/cli/index.js';
import type { CliIo } from '../../../src/common/cli/command.js';
import { makeAuthority, makeIdentity } from '../../agent/endpoints/support/fake-view.js';
import { type FakeWorkloadApi, startFakeWorkloadApi } from './support/fake-workload-api.js';

let dir: string;
let socketPath: string;
let api: FakeWorkloadApi;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-api-output-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  socketPath = join(dir, `api-${Math.random().toString(36).slice(2)}.sock`);
  api = await startFakeWorkloadApi(socketPath);
});
afterEach(async () => {
  await api.close();
});

async function agent(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env: () => undefined,
    cwd: dir,
  };
  const words = args.indexOf('--');
  const code = await main(
    'spire-agent',
    [...args.slice(0, words), '-socketPath', socketPath, ...args.slice(words + 1)],
    io,
  );
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const bytes = (...b: number[]) => new Uint8Array(b);

describe('spire-agent api fetch x509 -output json', () => {
  beforeEach(() => {
    api.responses.x509 = {
      svids: [
        {
          spiffeId: 'spiffe://example.org/web',
          x509Svid: bytes(1, 2, 3),
          x509SvidKey: bytes(4, 5),
          bundle: bytes(6),
          hint: 'internal',
        },
        { spiffeId: 'spiffe://example.org/db', x509Svid: bytes(7), x509SvidKey: bytes(8) },
      ],
      federatedBundles: { 'spiffe://partner.test': bytes(7, 8), 'spiffe://a.test': bytes(9) },
    };
  });

  // The bytes are not certificates: JSON output prints the response as received, unparsed.
  const expected =
    '{"crl":[],"federated_bundles":{"spiffe://a.test":"CQ==","spiffe://partner.test":"Bwg="},' +
    '"svids":[{"bundle":"Bg==","hint":"internal","spiffe_id":"spiffe://example.org/web",' +
    '"x509_svid":"AQID","x509_svid_key":"BAU="},{"bundle":"","hint":"",' +
    '"spiffe_id":"spiffe://example.org/db","x509_svid":"Bw==","x509_svid_key":"CA=="}]}\n';

  it('prints the X509SVIDResponse as protojson: proto names, every field, sorted keys, base64 bytes', async () => {
    expect(await agent('api', 'fetch', 'x509', '-output', 'json', '--')).toEqual({
      code: 0,
      stdout: expected,
      stderr: '',
    });
    expect(api.calls).toEqual([
      { method: 'FetchX509SVID', request: expect.any(Object), securityHeader: 'true' },
    ]);
  });

  it('takes the value in any case, as -output=JSON, and on the `api fetch` alias', async () => {
    expect((await agent('api', 'fetch', 'x509', '-output=JSON', '--')).stdout).toBe(expected);
    expect((await agent('api', 'fetch', '-output', 'Json', '--')).stdout).toBe(expected);
  });

  it('ignores -silent and -write with json, as SPIRE does (both belong to the pretty output)', async () => {
    const out = mkdtempSync(join(dir, 'out-'));
    const got = await agent(
      'api',
      'fetch',
      'x509',
      '-output',
      'json',
      '-silent',
      '-write',
      out,
      '--',
    );
    expect(got).toEqual({ code: 0, stdout: expected, stderr: '' });
    expect(readdirSync(out)).toEqual([]);
  });

  it('keeps the pretty output for -output pretty and -output prettyprint', async () => {
    for (const value of ['pretty', 'prettyprint']) {
      // Pretty parses the response, and these bytes are no certificates: SPIRE's parse error.
      expect(await agent('api', 'fetch', 'x509', '-output', value, '--')).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'failed to parse bundle for federated domain "spiffe://a.test": der input at byte 0 ' +
          'is not a certificate: expected an ASN.1 SEQUENCE\n',
      });
    }
  });
});

describe('spire-agent api fetch jwt -output json', () => {
  beforeEach(() => {
    api.responses.jwtBundles = {
      bundles: { 'spiffe://example.org': new TextEncoder().encode('{"keys":[]}') },
    };
    api.responses.jwtSvid = {
      svids: [{ spiffeId: 'spiffe://example.org/web', svid: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' }],
    };
  });
  const expected =
    '[{"svids":[{"hint":"","spiffe_id":"spiffe://example.org/web",' +
    '"svid":"eyJhbGciOiJFUzI1NiJ9.e30.c2ln"}]},' +
    '{"bundles":{"spiffe://example.org":"eyJrZXlzIjpbXX0="}}]\n';

  it('prints [JWTSVIDResponse, JWTBundlesResponse] as one JSON array', async () => {
    const got = await agent('api', 'fetch', 'jwt', '-audience', 'a,b', '-output', 'json', '--');
    expect(got).toEqual({ code: 0, stdout: expected, stderr: '' });
    expect(api.calls.map((c) => [c.method, c.securityHeader])).toEqual([
      ['FetchJWTBundles', 'true'],
      ['FetchJWTSVID', 'true'],
    ]);
    expect(api.calls[1]?.request).toEqual({ audience: ['a', 'b'], spiffeId: '' });
  });

  it('accepts the deprecated -format json and the same value given twice', async () => {
    expect(await agent('api', 'fetch', 'jwt', '-audience', 'a', '-format', 'json', '--')).toEqual({
      code: 0,
      stdout: expected,
      stderr: '',
    });
    const twice = await agent(
      'api',
      'fetch',
      'jwt',
      '-audience',
      'a',
      '-output',
      'json',
      '-format',
      'json',
      '--',
    );
    expect(twice.stdout).toBe(expected);
  });

  it('refuses -output and -format that disagree, before any call', async () => {
    const got = await agent(
      'api',
      'fetch',
      'jwt',
      '-audience',
      'a',
      '-output',
      'json',
      '-format',
      'pretty',
      '--',
    );
    expect(got.code).toBe(1);
    expect(got.stdout).toBe('');
    expect(got.stderr.split('\n')[0]).toBe(
      'invalid value "pretty" for flag -format: the output format has already been set to "json"',
    );
    expect(api.calls).toEqual([]);
  });

  it('still prints a Workload API error on stderr, not as JSON', async () => {
    api.responses.jwtSvid = new ConnectError('no identity issued', Code.PermissionDenied);
    const got = await agent('api', 'fetch', 'jwt', '-audience', 'a', '-output', 'json', '--');
    expect(got).toEqual({
      code: 1,
      stdout: '',
      stderr: 'rpc error: code = PermissionDenied desc = no identity issued\n',
    });
  });
});

describe('spire-agent api validate jwt -output json', () => {
  it('prints the ValidateJWTSVIDResponse; claims sorted as Go sorts map keys, nulls dropped', async () => {
    api.responses.validate = {
      spiffeId: 'spiffe://example.org/web',
      claims: {
        sub: 'spiffe://example.org/web',
        aud: ['a'],
        exp: 1767225600,
        '9': 'nine',
        '10': 'ten',
        html: '<a&b>',
        gone: null,
      },
    };
    const got = await agent(
      'api',
      'validate',
      'jwt',
      '-audience',
      'a',
      '-svid',
      'tok',
      '-output',
      'json',
      '--',
    );
    expect(got).toEqual({
      code: 0,
      stdout:
        '{"claims":{"10":"ten","9":"nine","aud":["a"],"exp":1767225600,' +
        '"html":"\\u003ca\\u0026b\\u003e","sub":"spiffe://example.org/web"},' +
        '"spiffe_id":"spiffe://example.org/web"}\n',
      stderr: '',
    });
    expect(api.calls.map((c) => [c.method, c.request])).toEqual([
      ['ValidateJWTSVID', { audience: 'a', svid: 'tok' }],
    ]);
  });

  it('prints a rejected token as SPIRE does, on stderr', async () => {
    api.responses.validate = new ConnectError('token has expired', Code.InvalidArgument);
    const got = await agent(
      'api',
      'validate',
      'jwt',
      '-audience',
      'a',
      '-svid',
      'tok',
      '-output',
      'json',
      '--',
    );
    expect(got).toEqual({ code: 1, stdout: '', stderr: 'SVID is not valid: token has expired\n' });
  });

  it('keeps the pretty lines for -output pretty', async () => {
    api.responses.validate = { spiffeId: 'spiffe://example.org/web', claims: { sub: 'x' } };
    const got = await agent(
      'api',
      'validate',
      'jwt',
      '-audience',
      'a',
      '-svid',
      'tok',
      '-output',
      'pretty',
      '--',
    );
    expect(got.stdout).toBe(
      'SVID is valid.\nSPIFFE ID : spiffe://example.org/web\nClaims    : {"sub":"x"}\n',
    );
  });
});

describe('-output refusals', () => {
  it.each([
    ['fetch x509', ['api', 'fetch', 'x509']],
    ['fetch jwt', ['api', 'fetch', 'jwt', '-audience', 'a']],
    ['validate jwt', ['api', 'validate', 'jwt', '-audience', 'a', '-svid', 't']],
  ])(
    '%s: a bad value names the allowed ones, prints the usage, exits 1, calls nothing',
    async (name, words) => {
      const got = await agent(...words, '-output', 'yaml', '--');
      expect(got.code).toBe(1);
      expect(got.stdout).toBe('');
      const [first, second] = got.stderr.split('\n');
      expect([first, second]).toEqual([
        'invalid value "yaml" for flag -output: bad formatter flag: unknown format option: "yaml" (use pretty or json)',
        `Usage of ${name}:`,
      ]);
      expect(got.stderr).toContain(
        '  -output value\n    \tDesired output format (pretty, json); default: pretty.\n',
      );
      expect(api.calls).toEqual([]);
    },
  );

  it('api watch has no -output, as in SPIRE', async () => {
    const got = await agent('api', 'watch', '-output', 'json', '--');
    expect(got.code).toBe(1);
    expect(got.stderr.split('\n')[0]).toBe('flag provided but not defined: -output');
  });
});

describe('pretty output prints hints, as SPIRE does', () => {
  it('api fetch x509: a Hint line after the SPIFFE ID when the SVID has one', async () => {
    const own = await makeAuthority('example.org');
    const id = await makeIdentity(own, 'spiffe://example.org/web');
    api.responses.x509 = {
      svids: [
        {
          spiffeId: 'spiffe://example.org/web',
          x509Svid: id.certChainDer,
          x509SvidKey: id.privateKeyPkcs8,
          bundle: own.ca.cert.raw,
          hint: 'internal',
        },
      ],
    };
    const got = await agent('api', 'fetch', 'x509', '--');
    const leaf = new X509Certificate(id.certChainDer);
    const ca = own.ca.cert;
    expect(got.code).toBe(0);
    expect(got.stdout.replace(/after [^\n]+\n/, 'after X\n')).toBe(
      'Received 1 svid after X\n\n' +
        'SPIFFE ID:\t\tspiffe://example.org/web\nHint:\t\t\tinternal\n' +
        `SVID Valid After:\t${goTime(new Date(leaf.validFrom))}\n` +
        `SVID Valid Until:\t${goTime(new Date(leaf.validTo))}\n` +
        `CA #1 Valid After:\t${goTime(new Date(ca.validFrom))}\n` +
        `CA #1 Valid Until:\t${goTime(new Date(ca.validTo))}\n\n`,
    );
  });

  it('api fetch jwt: hint(<id>) after the token when the SVID has one', async () => {
    api.responses.jwtBundles = { bundles: {} };
    api.responses.jwtSvid = {
      svids: [
        { spiffeId: 'spiffe://example.org/web', svid: 't1', hint: 'internal' },
        { spiffeId: 'spiffe://example.org/db', svid: 't2' },
      ],
    };
    expect(await agent('api', 'fetch', 'jwt', '-audience', 'a', '--')).toEqual({
      code: 0,
      stdout:
        'token(spiffe://example.org/web):\n\tt1\nhint(spiffe://example.org/web):\n\tinternal\n' +
        'token(spiffe://example.org/db):\n\tt2\n',
      stderr: '',
    });
  });
});

describe('goJson (encoding/json over decoded JSON)', () => {
  it('sorts keys by UTF-8 bytes and escapes what Go escapes', () => {
    expect(goJson({ b: 1, a: [true, 'x\u2028y'], '\u00e9': 0.5, Z: { '2': 2, '10': 1 } })).toBe(
      '{"Z":{"10":1,"2":2},"a":[true,"x\\u2028y"],"b":1,"\u00e9":0.5}',
    );
  });
});
