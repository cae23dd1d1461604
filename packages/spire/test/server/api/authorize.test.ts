import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/common/clock/index.js';
import { Bundle } from '../../../src/gen/spire/api/server/bundle/v1/bundle_pb.js';
import {
  Entry,
  ListEntriesResponseSchema,
} from '../../../src/gen/spire/api/server/entry/v1/entry_pb.js';
import { SVID } from '../../../src/gen/spire/api/server/svid/v1/svid_pb.js';
import {
  PermissionDeniedDetailsSchema,
  PermissionDeniedDetails_Reason as Reason,
} from '../../../src/gen/spire/api/types/status_pb.js';
import { authorize, authorizeCall } from '../../../src/server/api/authorize.js';
import type { ServerContext } from '../../../src/server/api/context.js';
import { allowedClasses, policyMethods } from '../../../src/server/api/policy.js';
import {
  type HarnessSvid,
  type ServerHarness,
  startServerHarness,
} from '../../support/server-harness.js';

const LIST_ENTRIES = '/spire.api.server.entry.v1.Entry/ListEntries';
const GET_AUTHORIZED = '/spire.api.server.entry.v1.Entry/GetAuthorizedEntries';
const DOWNSTREAM_CA = '/spire.api.server.svid.v1.SVID/NewDownstreamX509CA';

// Test-only handlers: each answers with the caller classes authorize() found, so a test sees
// exactly what the policy decided.
let seen: string[] = [];
function record(ctx: ServerContext, method: string) {
  return async (_req: unknown, hc: HandlerContext) => {
    const result = await authorize(ctx, method, hc);
    seen = [...result.classes].sort();
    if (result.agentId) seen.push(`agent:${result.agentId}`);
    return {};
  };
}

const clock = new FakeClock(Date.now());
let h: ServerHarness;
beforeAll(async () => {
  h = await startServerHarness({
    clock,
    serverHcl: 'admin_ids = ["spiffe://example.org/static-admin"]',
    services: (ctx) => [
      [
        Entry,
        {
          listEntries: async (req: unknown, hc: HandlerContext) => {
            await record(ctx, LIST_ENTRIES)(req, hc);
            return create(ListEntriesResponseSchema, {});
          },
          getAuthorizedEntries: record(ctx, GET_AUTHORIZED),
        },
      ],
      [Bundle, { getBundle: record(ctx, '/spire.api.server.bundle.v1.Bundle/GetBundle') }],
      [SVID, { newDownstreamX509CA: record(ctx, DOWNSTREAM_CA) }],
    ],
  });
  await h.datastore.createEntry({
    spiffeId: 'spiffe://example.org/entry-admin',
    parentId: 'spiffe://example.org/spire/server',
    selectors: [{ type: 'unix', value: 'uid:1' }],
    admin: true,
  });
  await h.datastore.createEntry({
    spiffeId: 'spiffe://example.org/downstream',
    parentId: 'spiffe://example.org/spire/server',
    selectors: [{ type: 'unix', value: 'uid:2' }],
    downstream: true,
  });
});
afterAll(async () => h?.close());

async function denial(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(err).toBeDefined();
  const details = err?.findDetails(PermissionDeniedDetailsSchema) ?? [];
  return { code: err?.code, message: err?.rawMessage, reasons: details.map((d) => d.reason) };
}

const denied = (method: string, reasons: Reason[] = []) => ({
  code: Code.PermissionDenied,
  message: `authorization denied for method ${method}`,
  reasons,
});

describe('authorize: caller classes of the default policy (reference §3.3, §3.9)', () => {
  it('a Unix-socket caller is local and may call a local-or-admin method', async () => {
    await h.local(Entry).listEntries({});
    expect(seen).toEqual(['local']);
  });

  it('an anonymous TLS caller may call GetBundle (allow_any)', async () => {
    await h.anonymous(Bundle).getBundle({});
    expect(seen).toEqual(['any']);
  });

  it('an anonymous TLS caller is refused a local-or-admin method', async () => {
    expect(await denial(h.anonymous(Entry).listEntries({}))).toEqual(denied(LIST_ENTRIES));
  });

  it('an SVID listed in admin_ids is admin', async () => {
    const svid = await h.mintSvid('/static-admin');
    await h.withSvid(Entry, svid).listEntries({});
    expect(seen).toEqual(['admin']);
  });

  it('an SVID whose entry has admin=true is admin', async () => {
    const svid = await h.mintSvid('/entry-admin');
    await h.withSvid(Entry, svid).listEntries({});
    expect(seen).toEqual(['admin']);
  });

  it('a workload SVID that is not admin is refused without details', async () => {
    const svid = await h.mintSvid('/not-admin');
    expect(await denial(h.withSvid(Entry, svid).listEntries({}))).toEqual(denied(LIST_ENTRIES));
  });

  it('an SVID whose entry has downstream=true is downstream', async () => {
    const svid = await h.mintSvid('/downstream');
    await h.withSvid(SVID, svid).newDownstreamX509CA({});
    expect(seen).toEqual(['downstream']);
  });

  it('an admin SVID is refused a downstream-only method', async () => {
    const svid = await h.mintSvid('/static-admin');
    expect(await denial(h.withSvid(SVID, svid).newDownstreamX509CA({}))).toEqual(
      denied(DOWNSTREAM_CA),
    );
  });

  it('an active agent is agent, with its agent ID', async () => {
    const { svid } = await h.attestedAgent('/spire/agent/join_token/active');
    await h.withSvid(Entry, svid).getAuthorizedEntries({});
    expect(seen).toEqual(['agent', `agent:${svid.id}`]);
  });

  it('an agent is refused a local-or-admin method', async () => {
    const { svid } = await h.attestedAgent('/spire/agent/join_token/nosy');
    expect(await denial(h.withSvid(Entry, svid).listEntries({}))).toEqual(denied(LIST_ENTRIES));
  });

  it('a local caller is refused an agent-only method', async () => {
    expect(await denial(h.local(Entry).getAuthorizedEntries({}))).toEqual(denied(GET_AUTHORIZED));
  });
});

describe('authorize: agent checks with PermissionDeniedDetails reasons (reference §3.8)', () => {
  const cases: {
    name: string;
    setup: () => Promise<HarnessSvid>;
    reason: Reason;
  }[] = [
    {
      name: 'no attested-node record: AGENT_NOT_ATTESTED',
      setup: () => h.mintSvid('/spire/agent/join_token/ghost'),
      reason: Reason.AGENT_NOT_ATTESTED,
    },
    {
      name: 'empty serial (banned): AGENT_BANNED',
      setup: async () =>
        (
          await h.attestedAgent('/spire/agent/join_token/banned', {
            node: { certSerialNumber: '' },
          })
        ).svid,
      reason: Reason.AGENT_BANNED,
    },
    {
      name: 'serial neither current nor new: AGENT_NOT_ACTIVE',
      setup: async () =>
        (
          await h.attestedAgent('/spire/agent/join_token/stale', {
            node: { certSerialNumber: 'abcdef', newCertSerialNumber: '123456' },
          })
        ).svid,
      reason: Reason.AGENT_NOT_ACTIVE,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const svid = await c.setup();
      expect(await denial(h.withSvid(Entry, svid).getAuthorizedEntries({}))).toEqual(
        denied(GET_AUTHORIZED, [c.reason]),
      );
    });
  }

  it('an expired agent SVID: AGENT_EXPIRED', async () => {
    const { svid } = await h.attestedAgent('/spire/agent/join_token/expiring');
    // The fake clock only moves forward: later tests mint their SVIDs at the new time.
    clock.set(svid.notAfterMs + 1000);
    expect(await denial(h.withSvid(Entry, svid).getAuthorizedEntries({}))).toEqual(
      denied(GET_AUTHORIZED, [Reason.AGENT_EXPIRED]),
    );
  });

  it("the node's new serial is accepted and promoted to current on first use", async () => {
    const { svid: old } = await h.attestedAgent('/spire/agent/join_token/renewed');
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

    await h.withSvid(Entry, renewed).getAuthorizedEntries({});

    const node = await h.datastore.fetchAttestedNode(old.id);
    expect([node?.certSerialNumber, node?.newCertSerialNumber]).toEqual([renewed.serial, '']);
    expect(await denial(h.withSvid(Entry, old).getAuthorizedEntries({}))).toEqual(
      denied(GET_AUTHORIZED, [Reason.AGENT_NOT_ACTIVE]),
    );
  });
});

describe('authorize: refusals that do not depend on the caller', () => {
  it('a certificate from another CA is Unauthenticated', async () => {
    const other = await startServerHarness({ clock });
    try {
      const foreign = await other.mintSvid('/static-admin');
      const err = ConnectError.from(
        await h
          .withSvid(Entry, foreign)
          .listEntries({})
          .catch((e: unknown) => e),
      );
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toMatch(/^caller certificate is not a valid X509-SVID: /);
    } finally {
      await other.close();
    }
  });

  it('a method missing from the policy is refused even to a local caller', async () => {
    const peer = {
      transport: 'unix' as const,
      credentials: { pid: process.pid, uid: 0, gid: 0 },
    };
    const err = await authorizeCall(h.ctx, '/spire.api.server.entry.v1.Entry/Unknown', peer).catch(
      (e: unknown) => ConnectError.from(e),
    );
    expect([(err as ConnectError).code, (err as ConnectError).rawMessage]).toEqual([
      Code.PermissionDenied,
      'authorization denied for method /spire.api.server.entry.v1.Entry/Unknown',
    ]);
  });

  it('the policy table matches SPIRE policy_data.json for a sample of methods', () => {
    const sample = {
      '/spire.api.server.agent.v1.Agent/AttestAgent': ['any'],
      '/spire.api.server.agent.v1.Agent/RenewAgent': ['agent'],
      '/spire.api.server.bundle.v1.Bundle/GetFederatedBundle': ['admin', 'agent', 'local'],
      '/spire.api.server.debug.v1.Debug/GetInfo': ['local'],
      '/grpc.health.v1.Health/Check': ['local'],
      '/spire.api.server.svid.v1.SVID/BatchNewX509SVID': ['agent'],
      '/spire.api.server.bundle.v1.Bundle/PublishJWTAuthority': ['downstream'],
    };
    for (const [method, classes] of Object.entries(sample)) {
      expect([method, [...(allowedClasses(method) ?? [])].sort()]).toEqual([method, classes]);
    }
    expect(policyMethods()).toHaveLength(65);
  });
});
