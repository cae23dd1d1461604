import { describe, expect, it } from 'vitest';
import { FlagSet, goDuration } from '../../../src/common/cli/flagset.js';
import { parseGoInt } from '../../../src/common/cli/go-values.js';

const flags = new FlagSet('create', [
  { name: 'spiffeID', kind: 'string', usage: 'The SPIFFE ID' },
  { name: 'admin', kind: 'bool', usage: 'Admin flag' },
  {
    name: 'selector',
    kind: 'list',
    usage: 'A colon-delimited type:value selector.\nCan be used more than once',
  },
  { name: 'x509SVIDTTL', kind: 'int', usage: 'TTL in seconds' },
  { name: 'timeout', kind: 'duration', usage: 'Time to wait', default: 1000 },
  { name: 'socketPath', kind: 'string', usage: 'Path to the socket', default: '/tmp/api.sock' },
]);

const USAGE = [
  'Usage of create:',
  '  -admin',
  '    \tAdmin flag',
  '  -selector value',
  '    \tA colon-delimited type:value selector.',
  '    \tCan be used more than once',
  '  -socketPath string',
  '    \tPath to the socket (default "/tmp/api.sock")',
  '  -spiffeID string',
  '    \tThe SPIFFE ID',
  '  -timeout duration',
  '    \tTime to wait (default 1s)',
  '  -x509SVIDTTL int',
  '    \tTTL in seconds',
  '',
].join('\n');

describe('FlagSet (Go flag package rules)', () => {
  it.each([
    [['-spiffeID', 'spiffe://a/b'], { spiffeID: 'spiffe://a/b' }],
    [['-spiffeID=spiffe://a/b'], { spiffeID: 'spiffe://a/b' }],
    [['--spiffeID', 'spiffe://a/b'], { spiffeID: 'spiffe://a/b' }],
    [['-admin'], { admin: true }],
    [['-admin=false'], { admin: false }],
    [['-admin=T'], { admin: true }],
    [['-selector', 'unix:uid:0', '-selector=k8s:ns:x'], { selector: ['unix:uid:0', 'k8s:ns:x'] }],
    [['-x509SVIDTTL', '0x3c'], { x509SVIDTTL: 60 }],
    [['-x509SVIDTTL', '010'], { x509SVIDTTL: 8 }],
    [['-x509SVIDTTL', '1_000'], { x509SVIDTTL: 1000 }],
    [['-spiffeID', 'a', '-spiffeID', 'b'], { spiffeID: 'b' }],
    [['-timeout', '1m30s'], { timeout: 90_000 }],
    [
      [],
      {
        spiffeID: '',
        admin: false,
        selector: [],
        x509SVIDTTL: 0,
        timeout: 1000,
        socketPath: '/tmp/api.sock',
      },
    ],
  ])('parses %j', (args, expected) => {
    const r = flags.parse(args);
    expect(r.ok && r.values).toMatchObject(expected);
  });

  it('stops at the first non-flag word: -admin false drops the rest', () => {
    const r = flags.parse(['-admin', 'false', '-spiffeID', 'x']);
    expect(r.ok && [r.values.admin, r.values.spiffeID, r.rest]).toEqual([
      true,
      '',
      ['false', '-spiffeID', 'x'],
    ]);
  });

  it('stops at --', () => {
    const r = flags.parse(['--', '-admin']);
    expect(r.ok && [r.values.admin, r.rest]).toEqual([false, ['-admin']]);
  });

  it.each([
    [['-spiffeId', 'x'], 'flag provided but not defined: -spiffeId'],
    [['-spiffeID'], 'flag needs an argument: -spiffeID'],
    [['-x509SVIDTTL', '60s'], 'invalid value "60s" for flag -x509SVIDTTL: parse error'],
    [['-x509SVIDTTL', '1.5'], 'invalid value "1.5" for flag -x509SVIDTTL: parse error'],
    [['-admin=yes'], 'invalid value "yes" for flag -admin: parse error'],
    [['-timeout', '2d'], 'invalid value "2d" for flag -timeout: parse error'],
    [['---x'], 'bad flag syntax: ---x'],
    [['-=x'], 'bad flag syntax: -=x'],
  ])('refuses %j with Go wording followed by the usage', (args, message) => {
    expect(flags.parse(args)).toEqual({ ok: false, help: false, output: `${message}\n${USAGE}` });
  });

  it.each([['-h'], ['-help'], ['--help']])('%s asks for help and returns the usage', (arg) => {
    expect(flags.parse([arg])).toEqual({ ok: false, help: true, output: USAGE });
  });
});

describe('parseGoInt', () => {
  it.each([
    ['60', 60],
    ['-5', -5],
    ['0b101', 5],
    ['0o17', 15],
    ['0X1F', 31],
    ['9223372036854775808', undefined],
    ['_1', undefined],
    ['1__0', undefined],
    ['08', undefined],
    ['', undefined],
  ])('reads %j as %j', (text, value) => {
    expect(parseGoInt(text)).toBe(value);
  });
});

describe('goDuration', () => {
  it.each([
    [0, '0s'],
    [300, '300ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});
