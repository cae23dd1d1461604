// The caller's chain is verified once per TLS connection and the agent's node status is read
// from memory; these tests prove that the reference §3.8 checks still bite on the very next call
// of an already open connection: a ban, an evict (made through this server's API or heard from
// the datastore's events, as another server's write would be), and the SVID's expiry.
import { X509Certificate } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { type Client, Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../src/common/clock/index.js';
import { callerPeer } from '../../../src/common/grpc/index.js';
import { Agent } from '../../../src/gen/spire/api/server/agent/v1/agent_pb.js';
import {
  Entry,
  GetAuthorizedEntriesResponseSchema,
} from '../../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import {
  PermissionDeniedDetailsSchema,
  PermissionDeniedDetails_Reason as Reason,
} from '../../../src/gen/spire/api/types/status_pb.js';
import { createAgentService } from '../../../src/server/api/agent/service.js';
import { authorize, authorizeCall } from '../../../src/server/api/authorize.js';
import { EventFollower } from '../../../src/server/runtime/cache-loader.js';
import {
  type HarnessSvid,
  type ServerHarness,
  startServerHarness,
} from '../../support/server-harness.js';

const GET_AUTHORIZED = '/spire.api.server.entry.v1.Entry/GetAuthorizedEntries';
const FOREIGN_ADMIN = 'spiffe://example.org/foreign-admin';

const TCP_PEER = { transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 1 } as const;

/** The DER certificates of a PEM chain, leaf first. */
function derChain(pem: string): Uint8Array[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new Uint8Array(new X509Certificate(b).raw));
}

/** The client port of each call that passed authorization: equal ports, same connection. */
let ports: number[] = [];
const clock = new FakeClock(Date.now());
let h: ServerHarness;

beforeAll(async () => {
  h = await startServerHarness({
    clock,
    serverHcl: `admin_ids = ["${FOREIGN_ADMIN}"]`,
    services: (ctx) => [
      [Agent, createAgentService(ctx)],
      [
        Entry,
        {
          getAuthorizedEntries: async (_req: unknown, hc: HandlerContext) => {
            await authorize(ctx, GET_AUTHORIZED, hc);
            const peer = callerPeer(hc);
            ports.push(peer?.transport === 'tcp' ? peer.remotePort : -1);
            return create(GetAuthorizedEntriesResponseSchema, {});
          },
        },
      ],
    ],
  });
});
afterAll(async () => h?.close());
beforeEach(() => {
  ports = [];
});

/** The PermissionDenied reason of a refused call (or the code of any other failure). */
async function refusal(client: Client<typeof Entry>) {
  const err = await client.getAuthorizedEntries({}).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  const reasons = err?.findDetails(PermissionDeniedDetailsSchema).map((d) => d.reason);
  return { code: err?.code, reasons };
}

const refused = (reason: Reason) => ({ code: Code.PermissionDenied, reasons: [reason] });

/** An attested agent with a client whose first call has opened its one connection. */
async function connectedAgent(name: string) {
  const { svid } = await h.attestedAgent(`/spire/agent/join_token/${name}`);
  const client = h.withSvid(Entry, svid);
  await client.getAuthorizedEntries({});
  return { svid, client };
}

const agentIdOf = (svid: HarnessSvid) => ({
  trustDomain: 'example.org',
  path: new URL(svid.id).pathname,
});

describe('agent checks on an open connection (reference §3.8, field notes §4.3)', () => {
  it('an active agent is served on the same connection call after call', async () => {
    const { client } = await connectedAgent('steady');
    await client.getAuthorizedEntries({});
    await client.getAuthorizedEntries({});

    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
  });

  it('BanAgent through the API: the next call on the same connection is AGENT_BANNED', async () => {
    const { svid, client } = await connectedAgent('banned-live');

    await h.local(Agent).banAgent({ id: agentIdOf(svid) });

    expect(await refusal(client)).toEqual(refused(Reason.AGENT_BANNED));
    expect(ports).toHaveLength(1);
  });

  it('DeleteAgent through the API: the next call on the same connection is AGENT_NOT_ATTESTED', async () => {
    const { svid, client } = await connectedAgent('evicted-live');

    await h.local(Agent).deleteAgent({ id: agentIdOf(svid) });

    expect(await refusal(client)).toEqual(refused(Reason.AGENT_NOT_ATTESTED));
  });

  it.each([
    [
      'a ban',
      (id: string) =>
        h.datastore.updateAttestedNode(
          {
            spiffeId: id,
            attestationDataType: '',
            certSerialNumber: '',
            certNotAfter: 0,
            newCertSerialNumber: '',
          },
          { certSerialNumber: true, newCertSerialNumber: true },
        ),
      Reason.AGENT_BANNED,
    ],
    ['an evict', (id: string) => h.datastore.deleteAttestedNode(id), Reason.AGENT_NOT_ATTESTED],
  ])(
    '%s written by another server is refused once the events are followed',
    async (_n, write, reason) => {
      const { svid, client } = await connectedAgent(`remote-${reason}`);
      const follower = new EventFollower({
        datastore: h.datastore,
        notifier: h.notifier,
        clock,
        log: h.ctx.log,
        intervalMs: 5_000,
      });
      await follower.markCurrent();

      await write(svid.id);
      await follower.poll();

      expect(await refusal(client)).toEqual(refused(reason));
    },
  );

  it('an SVID that expires while its connection is open: the next call is AGENT_EXPIRED', async () => {
    const { svid, client } = await connectedAgent('expiring-live');

    // The fake clock only moves forward: later tests attest their agents at the new time.
    clock.set(svid.notAfterMs + 1000);

    expect(await refusal(client)).toEqual(refused(Reason.AGENT_EXPIRED));
    expect(ports).toHaveLength(1);
  });
});

describe('serial promotion (reference §3.8)', () => {
  it('concurrent first uses of the new serial write the promotion once, later calls not at all', async () => {
    const { svid: old } = await h.attestedAgent('/spire/agent/join_token/promoted');
    const renewed = await h.mintSvid(old.id);
    await h.datastore.updateAttestedNode(
      {
        spiffeId: old.id,
        attestationDataType: 'join_token',
        certSerialNumber: old.serial,
        certNotAfter: 0,
        newCertSerialNumber: renewed.serial,
        newCertNotAfter: Math.floor(renewed.notAfterMs / 1000),
      },
      { newCertSerialNumber: true, newCertNotAfter: true },
    );
    await h.ctx.changed.nodes([old.id]);
    const writes = vi.spyOn(h.datastore, 'updateAttestedNode');
    try {
      // One connection's peer, eight calls started together, then one more.
      const peer = { ...TCP_PEER, certificates: derChain(renewed.certPem) };
      const calls = Array.from({ length: 8 }, () => authorizeCall(h.ctx, GET_AUTHORIZED, peer));
      expect((await Promise.all(calls)).map((r) => r.agentId)).toEqual(Array(8).fill(old.id));
      await authorizeCall(h.ctx, GET_AUTHORIZED, peer);

      expect(writes).toHaveBeenCalledTimes(1);
      const node = await h.datastore.fetchAttestedNode(old.id);
      expect([node?.certSerialNumber, node?.newCertSerialNumber]).toEqual([renewed.serial, '']);
    } finally {
      writes.mockRestore();
    }
  });
});

describe('chain trust on an open connection (X509-SVID §5)', () => {
  it('an authority removed from the stored bundle stops vouching for an open connection', async () => {
    const other = await startServerHarness({ clock });
    try {
      const anchor = other.ctx.ca.bundle().x509Authorities[0] as Buffer;
      const foreign = await other.mintSvid(FOREIGN_ADMIN);
      const stored = await h.datastore.fetchBundle('example.org');
      const without = stored?.x509Authorities ?? [];
      await h.datastore.appendBundle({
        trustDomain: 'example.org',
        x509Authorities: [{ asn1: anchor, tainted: false }],
        jwtAuthorities: [],
        refreshHint: 0,
        sequenceNumber: 0,
      });
      const admin = h.withSvid(Agent, foreign);
      expect((await admin.countAgents({})).count).toBeGreaterThanOrEqual(0);

      await h.datastore.updateBundle(
        { ...(stored as NonNullable<typeof stored>), x509Authorities: without },
        { x509Authorities: true },
      );

      const err = await admin.countAgents({}).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect([err?.code, err?.rawMessage.startsWith('caller certificate is not a valid')]).toEqual([
        Code.Unauthenticated,
        true,
      ]);
    } finally {
      await other.close();
    }
  });
});
