import { X509Certificate } from 'node:crypto';
import { Code, type ConnectError } from '@connectrpc/connect';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { debugGetInfoCommand } from '../../../src/cli/server/debug/getinfo.js';
import { FakeClock } from '../../../src/common/clock/index.js';
import { Debug } from '../../../src/gen/spire/api/server/debug/v1/debug_pb.js';
import { createDebugService } from '../../../src/server/api/debug/index.js';
import { runVerb } from '../../cli/support/run-verb.js';
import {
  type HarnessSvid,
  type ServerHarness,
  startServerHarness,
} from '../../support/server-harness.js';

let h: ServerHarness;
let clock: FakeClock;
let serverSvid: HarnessSvid;
beforeEach(async () => {
  clock = new FakeClock();
  const startedAtMs = clock.now();
  h = await startServerHarness({
    clock,
    services: (ctx) => [
      [Debug, createDebugService(ctx, { startedAtMs, serverSvidChain: () => chainDer() })],
    ],
  });
  serverSvid = await h.mintSvid('/spire/server');
});
afterEach(() => h.close());

function chainDer(): Uint8Array[] {
  return serverSvid.certPem
    .split(/(?=-----BEGIN CERTIFICATE-----)/)
    .map((pem) => new Uint8Array(new X509Certificate(pem).raw));
}

describe('spire.api.server.debug.v1.Debug.GetInfo (reference §3.3)', () => {
  it('reports uptime by the clock, counts, and the server SVID chain', async () => {
    await h.attestedAgent('/spire/agent/join_token/a1');
    await h.datastore.createOrReturnEntry({
      spiffeId: 'spiffe://example.org/w',
      parentId: 'spiffe://example.org/spire/agent/join_token/a1',
      selectors: [{ type: 'unix', value: 'uid:1' }],
    });
    clock.advance(90_000);
    const info = await h.local(Debug).getInfo({});
    expect(info.uptime).toBe(90);
    expect([info.agentsCount, info.entriesCount, info.federatedBundlesCount]).toEqual([1, 1, 0]);
    const [leaf] = info.svidChain;
    expect(leaf?.id).toMatchObject({ trustDomain: 'example.org', path: '/spire/server' });
    expect(Number(leaf?.expiresAt)).toBe(Math.floor(serverSvid.notAfterMs / 1000));
  });
});

describe('spire-server debug getinfo', () => {
  it('prints uptime as a Go duration, the counts and the chain as SPIRE does', async () => {
    clock.advance(90_000);
    const { svidChain } = await h.local(Debug).getInfo({});
    // The harness's server SVID chain is the leaf alone (no intermediate CA).
    expect(svidChain).toHaveLength(1);
    const expires = new Date(Math.floor(serverSvid.notAfterMs / 1000) * 1000)
      .toISOString()
      .replace('.000Z', 'Z');
    expect(await runVerb(h, debugGetInfoCommand, [])).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'Server Debug Info:\n' +
        '  Uptime:                  1m30s\n' +
        '  Registered Agents:       0\n' +
        '  Registration Entries:    0\n' +
        '  Federated Bundles:       0\n' +
        '  SVID Chain:\n' +
        '    [0] SPIFFE ID:  spiffe://example.org/spire/server\n' +
        `        Subject:    ${svidChain[0]?.subject}\n` +
        `        Expires At: ${expires}\n`,
    });
  });
});

describe('Debug on the TLS listener', () => {
  it('is refused to a TLS caller (admin socket only)', async () => {
    // Its own harness on the real clock: the TLS client checks certificate dates by real time.
    const tls = await startServerHarness({
      services: (ctx) => [
        [Debug, createDebugService(ctx, { startedAtMs: Date.now(), serverSvidChain: () => [] })],
      ],
    });
    try {
      const err = await tls
        .anonymous(Debug)
        .getInfo({})
        .catch((e: unknown) => e);
      expect((err as ConnectError).code).toBe(Code.PermissionDenied);
    } finally {
      await tls.close();
    }
  });
});
