import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWorkloadEndpoint } from '../../src/agent/endpoints/index.js';
import { goElapsed, goTime } from '../../src/cli/agent/api/format.js';
import { createApiWatchCommand } from '../../src/cli/agent/api/index.js';
import { main } from '../../src/cli/index.js';
import type { CliIo } from '../../src/common/cli/command.js';
import type { GrpcServer } from '../../src/common/grpc/index.js';
import { createLogger } from '../../src/common/log/index.js';
import {
  type FakeAuthority,
  FakeView,
  makeAuthority,
  makeIdentity,
} from '../agent/endpoints/support/fake-view.js';

const UID = 'unix:uid:1000';

let dir: string;
let own: FakeAuthority;
let foreign: FakeAuthority;
let view: FakeView;
let server: GrpcServer | undefined;
let socketPath: string;

function capture(cwd = dir) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env: () => undefined,
    cwd,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

async function agent(args: string[]) {
  const c = capture();
  const code = await main(
    'spire-agent',
    [
      ...args.slice(0, args.indexOf('--')),
      '-socketPath',
      socketPath,
      ...args.slice(args.indexOf('--') + 1),
    ],
    c.io,
  );
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agent-api-cli-'));
  own = await makeAuthority('example.org');
  foreign = await makeAuthority('partner.test');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  socketPath = join(dir, `api-${Math.random().toString(36).slice(2)}.sock`);
  view = new FakeView(own);
  const { logger } = createLogger({ stream: { write: () => undefined } });
  server = await startWorkloadEndpoint({
    socketPath,
    view,
    attestors: [{ name: 'unix', attest: async () => ['uid:1000'] }],
    log: logger,
  });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('spire-agent api fetch x509', () => {
  it('prints SPIRE’s summary of each SVID, CA and federated CA', async () => {
    const id = await makeIdentity(own, 'spiffe://example.org/myservice', {
      federatesWith: ['partner.test'],
    });
    view.entries = [{ selectors: [UID], identity: id }];
    view.federated.set('partner.test', foreign.bundle);

    const got = await agent(['api', 'fetch', 'x509', '--']);

    const leaf = new X509Certificate(id.certChainDer); // the fake's chain is the leaf alone
    const after = (c: { validFrom: string }) => goTime(new Date(c.validFrom));
    const until = (c: { validTo: string }) => goTime(new Date(c.validTo));
    expect(got.code).toBe(0);
    expect(got.stdout.replace(/after [^\n]+\n/, 'after X\n')).toBe(
      'Received 1 svid after X\n\n' +
        'SPIFFE ID:\t\tspiffe://example.org/myservice\n' +
        `SVID Valid After:\t${after(leaf)}\nSVID Valid Until:\t${until(leaf)}\n` +
        `CA #1 Valid After:\t${after(own.ca.cert)}\nCA #1 Valid Until:\t${until(own.ca.cert)}\n` +
        `[spiffe://partner.test] CA #1 Valid After:\t${after(foreign.ca.cert)}\n` +
        `[spiffe://partner.test] CA #1 Valid Until:\t${until(foreign.ca.cert)}\n\n`,
    );
    expect(got.stdout).toMatch(/^Received 1 svid after \d+(\.\d+)?(µs|ms|s)\n/);
  });

  it('bug-cases-2 D32: -write puts svid, PKCS#8 key (0600), bundle and federated bundle in DIR; openssl verifies them', async () => {
    const id = await makeIdentity(own, 'spiffe://example.org/myservice', {
      federatesWith: ['partner.test'],
    });
    view.entries = [{ selectors: [UID], identity: id }];
    view.federated.set('partner.test', foreign.bundle);
    const out = mkdtempSync(join(dir, 'out-'));

    const got = await agent(['api', 'fetch', 'x509', '-write', out, '-silent', '--']);

    expect(got).toEqual({
      code: 0,
      stderr: '',
      stdout:
        `Writing SVID #0 to file ${out}/svid.0.pem.\n` +
        `Writing key #0 to file ${out}/svid.0.key.\n` +
        `Writing bundle #0 to file ${out}/bundle.0.pem.\n` +
        `Writing federated bundle #0 for trust domain spiffe://partner.test to file ${out}/federated_bundle.0.0.pem.\n`,
    });
    const modes = Object.fromEntries(
      readdirSync(out).map((f) => [f, (statSync(join(out, f)).mode & 0o777).toString(8)]),
    );
    expect(modes).toEqual({
      'svid.0.pem': '644',
      'svid.0.key': '600',
      'bundle.0.pem': '644',
      'federated_bundle.0.0.pem': '644',
    });
    expect(readFileSync(join(out, 'svid.0.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(join(out, 'svid.0.pem'), 'utf8')).toBe(
      new X509Certificate(id.certChainDer).toString(),
    );
    const verify = execFileSync('openssl', [
      'verify',
      '-CAfile',
      join(out, 'bundle.0.pem'),
      join(out, 'svid.0.pem'),
    ]).toString();
    expect(verify).toBe(`${join(out, 'svid.0.pem')}: OK\n`);
    execFileSync('openssl', ['pkey', '-in', join(out, 'svid.0.key'), '-noout']);
  });

  it.each([
    ['api fetch x509', ['api', 'fetch', 'x509']],
    ['api fetch (alias)', ['api', 'fetch']],
  ])('%s with no identity prints the status on stderr and exits 1', async (_name, words) => {
    const got = await agent([...words, '--']);

    expect(got).toEqual({
      code: 1,
      stdout: '',
      stderr: 'rpc error: code = PermissionDenied desc = no identity issued\n',
    });
  });

  it('-write into a folder that does not exist says to create it, exit 1, nothing written', async () => {
    const missing = join(dir, 'no-such-folder');

    const got = await agent(['api', 'fetch', 'x509', '-write', missing, '--']);

    expect(got).toEqual({
      code: 1,
      stdout: '',
      stderr: `-write: folder ${missing} does not exist; create it first (mkdir -p ${missing})\n`,
    });
  });

  it('-write naming a file instead of a folder is refused, exit 1', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');

    const got = await agent(['api', 'fetch', 'x509', '-write', file, '--']);

    expect(got).toEqual({
      code: 1,
      stdout: '',
      stderr: `-write: ${file} is not a folder; give the folder to write into\n`,
    });
  });

  it('an agent that is not there is Unavailable, exit 1', async () => {
    const c = capture();
    const code = await main(
      'spire-agent',
      ['api', 'fetch', 'x509', '-socketPath', join(dir, 'nope.sock')],
      c.io,
    );

    expect(code).toBe(1);
    expect(c.stderr()).toBe(
      `rpc error: code = Unavailable desc = connection error: connect ENOENT ${join(dir, 'nope.sock')}\n`,
    );
  });

  it('an undefined flag prints Go’s message and the usage, exit 1', async () => {
    const got = await agent(['api', 'fetch', 'x509', '-badflag', '--']);

    expect(got.code).toBe(1);
    expect(got.stderr).toMatch(/^flag provided but not defined: -badflag\nUsage of fetch x509:\n/);
    expect(got.stderr).toContain('(default "/tmp/spire-agent/public/api.sock")');
  });
});

describe('spire-agent api fetch jwt', () => {
  beforeEach(async () => {
    view.entries = [
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/myservice') },
    ];
  });

  it('prints each token and each JWT bundle', async () => {
    const got = await agent(['api', 'fetch', 'jwt', '-audience', 'aud1,aud2', '--']);

    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(
      /^token\(spiffe:\/\/example\.org\/myservice\):\n\t[\w-]+\.[\w-]+\.[\w-]+\n/,
    );
    expect(got.stdout).toContain('bundle(spiffe://example.org):\n\t{\n    "keys": [');
    expect(view.jwtRequests).toEqual([{ audience: ['aud1', 'aud2'], spiffeId: undefined }]);
  });

  it('bug-cases-2 D33: a repeated -audience replaces the earlier list', async () => {
    await agent(['api', 'fetch', 'jwt', '-audience', 'aud1', '-audience', 'aud2', '--']);

    expect(view.jwtRequests.map((r) => r.audience)).toEqual([['aud2']]);
  });

  it('-spiffeID asks for that identity only', async () => {
    await agent([
      'api',
      'fetch',
      'jwt',
      '-audience',
      'a',
      '-spiffeID',
      'spiffe://example.org/myservice',
      '--',
    ]);

    expect(view.jwtRequests).toEqual([
      { audience: ['a'], spiffeId: 'spiffe://example.org/myservice' },
    ]);
  });

  it('no -audience fails before any call', async () => {
    const got = await agent(['api', 'fetch', 'jwt', '--']);

    expect(got).toEqual({ code: 1, stdout: '', stderr: 'audience must be specified\n' });
    expect(view.jwtRequests).toEqual([]);
  });
});

describe('spire-agent api validate jwt', () => {
  beforeEach(async () => {
    view.entries = [
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/myservice') },
    ];
  });

  it('a good token prints SVID is valid, the ID and the claims', async () => {
    const token = view.signJwt('spiffe://example.org/peer', ['aud1']);

    const got = await agent(['api', 'validate', 'jwt', '-audience', 'aud1', '-svid', token, '--']);

    expect(got.code).toBe(0);
    const [valid, id, claims] = got.stdout.split('\n');
    expect([valid, id]).toEqual(['SVID is valid.', 'SPIFFE ID : spiffe://example.org/peer']);
    expect(JSON.parse(claims!.replace('Claims    : ', ''))).toMatchObject({
      sub: 'spiffe://example.org/peer',
      aud: ['aud1'],
    });
  });

  it('bug-cases-2 D33: a wrong audience prints SVID is not valid with the reason, exit 1', async () => {
    const token = view.signJwt('spiffe://example.org/peer', ['aud1']);

    const got = await agent(['api', 'validate', 'jwt', '-audience', 'other', '-svid', token, '--']);

    expect(got.code).toBe(1);
    expect(got.stdout).toBe('');
    expect(got.stderr).toMatch(/^SVID is not valid: .*aud/);
  });

  it.each([
    ['-audience', ['-svid', 'x.y.z'], 'audience must be specified\n'],
    ['-svid', ['-audience', 'a'], 'svid must be specified\n'],
  ])('missing %s fails before any call', async (_flag, args, stderr) => {
    expect(await agent(['api', 'validate', 'jwt', ...args, '--'])).toEqual({
      code: 1,
      stdout: '',
      stderr,
    });
  });
});

describe('spire-agent api watch', () => {
  it('prints the first update and every later one until stopped, exit 0', async () => {
    view.entries = [
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/a') },
    ];
    const stop = new AbortController();
    const c = capture();
    const watch = createApiWatchCommand(() => stop.signal);

    const running = watch.run(['-socketPath', socketPath], c.io);
    await until(() => c.stdout().includes('spiffe://example.org/a'));
    view.entries = [
      ...view.entries,
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/b') },
    ];
    view.changed();
    await until(() => c.stdout().includes('spiffe://example.org/b'));
    stop.abort();

    expect(await running).toBe(0);
    expect(c.stdout().match(/^Received \d svids? after/gm)).toEqual([
      expect.stringMatching(/^Received 1 svid after/),
      expect.stringMatching(/^Received 2 svids after/),
    ]);
  });

  it('bug-cases-2 D27: prints the stream error and keeps retrying', async () => {
    const stop = new AbortController();
    const c = capture();

    const running = createApiWatchCommand(() => stop.signal).run(['-socketPath', socketPath], c.io);
    await until(() => c.stderr().length > 0);
    view.entries = [
      { selectors: [UID], identity: await makeIdentity(own, 'spiffe://example.org/a') },
    ];
    await until(() => c.stdout().includes('spiffe://example.org/a'), 5_000);
    stop.abort();

    expect(await running).toBe(0);
    expect(c.stderr()).toBe('rpc error: code = PermissionDenied desc = no identity issued\n');
  });
});

describe('spire-agent healthcheck', () => {
  it.each([
    ['ready agent', true, [], { code: 0, stdout: 'Agent is healthy.\n', stderr: '' }],
    [
      'ready agent, -verbose',
      true,
      ['-verbose'],
      { code: 0, stdout: 'Checking agent health...\nAgent is healthy.\n', stderr: '' },
    ],
    [
      'agent not ready',
      false,
      [],
      { code: 1, stdout: '', stderr: 'Agent is unhealthy: agent returned status "NOT_SERVING"\n' },
    ],
  ])('bug-cases-2 D15: %s', async (_name, ready, flags, expected) => {
    view.isReady = ready;

    expect(await agent(['healthcheck', ...flags, '--'])).toEqual(expected);
  });

  it('no agent on the socket: unable to determine health, exit 1', async () => {
    const c = capture();
    const code = await main(
      'spire-agent',
      ['healthcheck', '-socketPath', join(dir, 'x.sock')],
      c.io,
    );

    expect([code, c.stdout(), c.stderr()]).toEqual([
      1,
      '',
      'Agent is unhealthy: unable to determine health\n',
    ]);
  });
});

describe('Go formatting helpers', () => {
  it.each([
    [999n, '999ns'],
    [812_000n, '812µs'],
    [3_500_000n, '3.5ms'],
    [1_200_000_000n, '1.2s'],
  ])('goElapsed(%s) is %s', (ns, text) => {
    expect(goElapsed(ns)).toBe(text);
  });

  it('goTime prints UTC as Go’s %v of a time.Time', () => {
    expect(goTime(new Date(Date.UTC(2026, 0, 2, 15, 4, 5)))).toBe('2026-01-02 15:04:05 +0000 UTC');
  });
});

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
