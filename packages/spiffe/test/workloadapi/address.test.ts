import {
  formatWorkloadEndpoint,
  parseWorkloadEndpoint,
  resolveWorkloadEndpoint,
  type WorkloadEndpoint,
  WorkloadEndpointError,
  WorkloadEndpointErrorCode,
  workloadEndpointFromEnv,
} from '@spire-ts/spiffe';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readVectorJson } from '../../../../test/support/vectors.js';

interface LocatingCase {
  case: string;
  expected: string;
}

interface AddressCase {
  input: string;
  result: 'valid' | 'invalid' | 'implementation_defined';
  dial_target?: string;
  reason?: string;
}

const { address_cases: cases, locating_the_endpoint: locating } = readVectorJson<{
  address_cases: AddressCase[];
  locating_the_endpoint: LocatingCase[];
}>('workload-endpoint.json');

function caught(fn: () => unknown): WorkloadEndpointError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WorkloadEndpointError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a WorkloadEndpointError, nothing was thrown');
}

/** The vector's descriptive dial target for a parsed endpoint. */
function dialTarget(ep: WorkloadEndpoint): string {
  if (ep.network === 'unix') {
    return `unix socket ${ep.path}`;
  }
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

describe('workload-endpoint.json address cases (Workload Endpoint §4)', () => {
  it.each(cases.filter((c) => c.result === 'valid').map((c) => [c.input, c.dial_target]))(
    'accepts %j and dials %s',
    (input, target) => {
      expect(dialTarget(parseWorkloadEndpoint(input))).toBe(target);
    },
  );

  it.each(cases.filter((c) => c.result === 'invalid').map((c) => [c.input, c.reason]))(
    'rejects %j as %s',
    (input, reason) => {
      const err = caught(() => parseWorkloadEndpoint(input));
      expect(err.code).toBe(`ERR_WORKLOADAPI_${reason?.toUpperCase()}`);
      expect(err.message).toMatch(/: use an address such as (unix|tcp):\/\//);
    },
  );

  it('decides implementation-defined TCP:// by accepting it: RFC 3986 §3.1 schemes are case-insensitive', () => {
    const implDefined = cases.filter((c) => c.result === 'implementation_defined');
    expect(implDefined.map((c) => c.input)).toEqual(['TCP://127.0.0.1:8000']);
    expect(parseWorkloadEndpoint('TCP://127.0.0.1:8000')).toEqual({
      network: 'tcp',
      host: '127.0.0.1',
      port: 8000,
    });
    expect(parseWorkloadEndpoint('Unix:///run/agent.sock')).toEqual({
      network: 'unix',
      path: '/run/agent.sock',
    });
  });
});

describe('parseWorkloadEndpoint beyond the vectors', () => {
  it.each([
    ['unix:////run/a.sock', { network: 'unix', path: '//run/a.sock' }],
    ['unix:///run/my%20dir/a.sock', { network: 'unix', path: '/run/my dir/a.sock' }],
    ['tcp://[2001:db8::1]:443', { network: 'tcp', host: '2001:db8::1', port: 443 }],
    ['tcp://10.0.0.1:65535', { network: 'tcp', host: '10.0.0.1', port: 65535 }],
  ])('accepts %j', (input, expected) => {
    expect(parseWorkloadEndpoint(input)).toEqual(expected);
  });

  it.each([
    ['', 'MISSING_ADDRESS'],
    ['unix:', 'MISSING_PATH'],
    ['unix:///run/%zz.sock', 'UNPARSEABLE'],
    ['unix:///run/%00.sock', 'UNPARSEABLE'],
    ['unix:///run/\u00e4.sock', 'UNPARSEABLE'],
    ['tcp:', 'MISSING_HOST'],
    ['tcp:/127.0.0.1:80', 'MISSING_HOST'],
    ['tcp://:8000', 'MISSING_HOST'],
    ['tcp://127.0.0.1:', 'MISSING_PORT'],
    ['tcp://[::1]', 'MISSING_PORT'],
    ['tcp://127.0.0.1:0', 'BAD_PORT'],
    ['tcp://127.0.0.1:65536', 'BAD_PORT'],
    ['tcp://127.0.0.1:80a', 'BAD_PORT'],
    ['tcp://127.0.0.1:-1', 'BAD_PORT'],
    ['tcp://[fe80::1%25eth0]:80', 'HOST_NOT_IP'],
    ['tcp://[127.0.0.1]:80', 'HOST_NOT_IP'],
    ['tcp://[::1:80', 'HOST_NOT_IP'],
    ['tcp://::1:80', 'HOST_NOT_IP'],
    ['tcp://0x7f.0.0.1:80', 'HOST_NOT_IP'],
    ['tcp://2130706433:80', 'HOST_NOT_IP'],
    ['npipe:foo', 'BAD_SCHEME'],
  ])('rejects %j with ERR_WORKLOADAPI_%s', (input, code) => {
    expect(caught(() => parseWorkloadEndpoint(input)).code).toBe(`ERR_WORKLOADAPI_${code}`);
  });

  it('never throws anything but WorkloadEndpointError with a documented code on random input', () => {
    const documented = new Set<string>(Object.values(WorkloadEndpointErrorCode));
    const alphabet = fc.constantFrom(
      ...'unix:tcp/[]@?#%.:0123456789abcdefABCDEF \t\u00e4'.split(''),
    );
    const arb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: alphabet, maxLength: 40 }),
      fc
        .tuple(
          fc.constantFrom('unix:', 'tcp:', 'unix://', 'tcp://'),
          fc.string({ unit: alphabet, maxLength: 30 }),
        )
        .map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(arb, (s) => {
        try {
          parseWorkloadEndpoint(s);
        } catch (err) {
          expect(err).toBeInstanceOf(WorkloadEndpointError);
          expect(documented.has((err as WorkloadEndpointError).code)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips endpoints through formatWorkloadEndpoint', () => {
    const unixArb = fc
      .array(
        fc.string({
          unit: fc.constantFrom(...'abZ09 %?#;:@-._~'.split('')),
          minLength: 1,
          maxLength: 8,
        }),
        { minLength: 1, maxLength: 4 },
      )
      .map((segs): WorkloadEndpoint => ({ network: 'unix', path: `/${segs.join('/')}` }));
    const tcpArb = fc
      .tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 }))
      .map(([host, port]): WorkloadEndpoint => ({ network: 'tcp', host, port }));
    fc.assert(
      fc.property(fc.oneof(unixArb, tcpArb), (ep) => {
        expect(parseWorkloadEndpoint(formatWorkloadEndpoint(ep))).toEqual(ep);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('workloadEndpointFromEnv (Workload Endpoint §4)', () => {
  it('reads SPIFFE_ENDPOINT_SOCKET', () => {
    expect(workloadEndpointFromEnv({ SPIFFE_ENDPOINT_SOCKET: 'unix:///tmp/agent.sock' })).toEqual({
      network: 'unix',
      path: '/tmp/agent.sock',
    });
  });

  it.each([
    ['unset', {}],
    ['empty', { SPIFFE_ENDPOINT_SOCKET: '' }],
  ])('fails with ERR_WORKLOADAPI_MISSING_ADDRESS when the variable is %s', (_, env) => {
    const err = caught(() => workloadEndpointFromEnv(env));
    expect(err.code).toBe('ERR_WORKLOADAPI_MISSING_ADDRESS');
    expect(err.message).toBe(
      'environment variable SPIFFE_ENDPOINT_SOCKET is not set: set it to the workload api address, for example unix:///tmp/spire-agent/public/api.sock',
    );
  });

  it('names the variable and keeps the cause when the value is invalid', () => {
    const err = caught(() =>
      workloadEndpointFromEnv({ SPIFFE_ENDPOINT_SOCKET: '/run/agent.sock' }),
    );
    expect(err.code).toBe('ERR_WORKLOADAPI_MISSING_SCHEME');
    expect(err.message).toBe(
      'environment variable SPIFFE_ENDPOINT_SOCKET: workload endpoint address "/run/agent.sock" has no unix or tcp scheme: use an address such as unix:///tmp/spire-agent/public/api.sock or tcp://127.0.0.1:8000',
    );
    expect(err.cause).toBeInstanceOf(WorkloadEndpointError);
  });
});

describe('locating the endpoint (workload-endpoint.json, Workload Endpoint §4)', () => {
  const env = { SPIFFE_ENDPOINT_SOCKET: 'unix:///from/env.sock' };

  it('covers both vector rules', () => {
    expect(locating.map((c) => c.expected)).toEqual([
      'explicit configuration wins',
      'error (no default path is mandated by the spec; SPIRE tooling has its own defaults)',
    ]);
  });

  it('lets explicit configuration win over SPIFFE_ENDPOINT_SOCKET', () => {
    expect(resolveWorkloadEndpoint('tcp://127.0.0.1:8000', env)).toEqual({
      network: 'tcp',
      host: '127.0.0.1',
      port: 8000,
    });
  });

  it('falls back to SPIFFE_ENDPOINT_SOCKET without explicit configuration', () => {
    expect(resolveWorkloadEndpoint(undefined, env)).toEqual({
      network: 'unix',
      path: '/from/env.sock',
    });
  });

  it('fails without explicit configuration and with SPIFFE_ENDPOINT_SOCKET unset', () => {
    expect(caught(() => resolveWorkloadEndpoint(undefined, {})).code).toBe(
      'ERR_WORKLOADAPI_MISSING_ADDRESS',
    );
  });
});

describe('bug case C25: endpoint address forms (Workload Endpoint §4)', () => {
  const table: [string, string][] = [
    ['unix:///run/spire/agent.sock', 'unix /run/spire/agent.sock'],
    ['unix:/run/spire/agent.sock', 'unix /run/spire/agent.sock'],
    ['unix://run/spire/agent.sock', WorkloadEndpointErrorCode.AuthoritySet],
    ['unix:run/agent.sock', WorkloadEndpointErrorCode.OpaqueOrRelative],
    ['/run/spire/agent.sock', WorkloadEndpointErrorCode.MissingScheme],
    ['tcp://127.0.0.1:8000', 'tcp 127.0.0.1 8000'],
    ['tcp://localhost:8000', WorkloadEndpointErrorCode.HostNotIp],
    ['tcp://127.0.0.1:8000/foo', WorkloadEndpointErrorCode.PathSet],
  ];

  it.each(table)('%s is %s', (input, expected) => {
    let got: string;
    try {
      const ep = parseWorkloadEndpoint(input);
      got = ep.network === 'unix' ? `unix ${ep.path}` : `tcp ${ep.host} ${ep.port}`;
    } catch (err) {
      got = caught(() => {
        throw err;
      }).code;
    }
    expect(got).toBe(expected);
  });
});
