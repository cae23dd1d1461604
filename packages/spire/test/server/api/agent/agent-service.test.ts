import { Code } from '@connectrpc/connect';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../../src/gen/spire/api/server/agent/v1/agent_pb.js';
import { PermissionDeniedDetails_Reason as Reason } from '../../../../src/gen/spire/api/types/status_pb.js';
import { createAgentService } from '../../../../src/server/api/agent/service.js';
import { type ServerHarness, startServerHarness } from '../../../support/server-harness.js';
import { attest, expectRpcError, makeCsr, presentable, serialOf } from '../attestation/support.js';

let h: ServerHarness;
beforeEach(async () => {
  h = await startServerHarness({ services: (ctx) => [[Agent, createAgentService(ctx)]] });
});
afterEach(() => h.close());

const denied = (m: string) =>
  `authorization denied for method /spire.api.server.agent.v1.Agent/${m}`;
const id = (path: string) => ({ trustDomain: 'example.org', path });

async function attestWithToken(token: string) {
  const csr = await makeCsr();
  const payload = new TextEncoder().encode(token);
  const res = await attest(h.anonymous(Agent), { type: 'join_token', payload, csr: csr.der });
  return presentable(res.svid, csr.keys);
}

async function joinTokenAgent(token: string) {
  await h.local(Agent).createJoinToken({ ttl: 600, token });
  return attestWithToken(token);
}

describe('CreateJoinToken (reference §3.8)', () => {
  it('makes a UUIDv4 token living ttl seconds', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await h.local(Agent).createJoinToken({ ttl: 600 });
    expect(token.value).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(Number(token.expiresAt) - before).toBeGreaterThanOrEqual(600);
    expect(Number(token.expiresAt) - before).toBeLessThanOrEqual(601);
    expect(await h.datastore.fetchJoinToken(token.value)).toEqual({
      token: token.value,
      expiresAt: Number(token.expiresAt),
    });
  });

  it('creates the alias entry for agent_id, removed again when the agent is evicted (D11)', async () => {
    await h.local(Agent).createJoinToken({ ttl: 600, token: 'T', agentId: id('/myagent') });
    const parent = 'spiffe://example.org/spire/agent/join_token/T';
    const other = await h.datastore.createEntry({
      parentId: parent,
      spiffeId: 'spiffe://example.org/workload',
      selectors: [{ type: 'unix', value: 'uid:0' }],
    });
    const { items } = await h.datastore.listEntries({ byParentId: parent });
    expect(items.map((e) => [e.spiffeId, e.selectors])).toEqual([
      ['spiffe://example.org/myagent', [{ type: 'spiffe_id', value: parent }]],
      ['spiffe://example.org/workload', [{ type: 'unix', value: 'uid:0' }]],
    ]);

    await attestWithToken('T');
    await h.local(Agent).deleteAgent({ id: id('/spire/agent/join_token/T') });
    const after = await h.datastore.listEntries({ byParentId: parent });
    expect(after.items.map((e) => e.id)).toEqual([other.id]);
  });

  const cases: [
    string,
    Parameters<ReturnType<typeof h.local<typeof Agent>>['createJoinToken']>[0],
    string,
  ][] = [
    ['a missing ttl', { ttl: 0 }, 'ttl is required, you must provide one'],
    ['a negative ttl', { ttl: -5 }, 'ttl is required, you must provide one'],
    [
      'an agent_id of another trust domain',
      { ttl: 60, agentId: { trustDomain: 'other.org', path: '/a' } },
      'invalid agent ID: "spiffe://other.org/a" is not a member of trust domain "example.org"',
    ],
    [
      'an agent_id under /spire/',
      { ttl: 60, agentId: id('/spire/agent/x') },
      'invalid agent ID: "spiffe://example.org/spire/agent/x" is in the reserved /spire/ namespace',
    ],
    [
      'a token with a slash',
      { ttl: 60, token: 'a/b' },
      'invalid token: use 1 to 256 letters, digits, ".", "_" or "-"',
    ],
  ];
  it.each(cases)('refuses %s with InvalidArgument', async (_n, req, message) => {
    await expectRpcError(h.local(Agent).createJoinToken(req), Code.InvalidArgument, message);
  });

  it('is refused to anonymous and agent callers', async () => {
    await expectRpcError(
      h.anonymous(Agent).createJoinToken({ ttl: 60 }),
      Code.PermissionDenied,
      denied('CreateJoinToken'),
    );
    const agent = await h.attestedAgent('/spire/agent/join_token/a');
    await expectRpcError(
      h.withSvid(Agent, agent.svid).createJoinToken({ ttl: 60 }),
      Code.PermissionDenied,
      denied('CreateJoinToken'),
    );
  });
});

describe('ListAgents, CountAgents, GetAgent', () => {
  beforeEach(async () => {
    await h.attestedAgent('/spire/agent/join_token/a', { selectors: [{ type: 'x', value: '1' }] });
    await h.attestedAgent('/spire/agent/x509pop/b', {
      selectors: [
        { type: 'x', value: '1' },
        { type: 'x', value: '2' },
      ],
      node: { attestationDataType: 'x509pop', canReattest: true },
    });
    await h.attestedAgent('/spire/agent/join_token/c', { node: { certSerialNumber: '' } });
  });

  const filters: [string, Record<string, unknown>, string[]][] = [
    ['no filter', {}, ['a', 'b', 'c']],
    ['by_attestation_type', { byAttestationType: 'x509pop' }, ['b']],
    ['by_banned true', { byBanned: true }, ['c']],
    ['by_banned false', { byBanned: false }, ['a', 'b']],
    ['by_can_reattest', { byCanReattest: true }, ['b']],
    [
      'by_selector_match superset',
      { bySelectorMatch: { selectors: [{ type: 'x', value: '2' }], match: 2 } },
      ['b'],
    ],
    [
      'by_selector_match exact',
      { bySelectorMatch: { selectors: [{ type: 'x', value: '1' }], match: 0 } },
      ['a'],
    ],
    [
      'by_expires_before far future',
      { byExpiresBefore: '2999-01-01 00:00:00 +0000 +00' },
      ['a', 'b', 'c'],
    ],
    ['by_expires_before the past', { byExpiresBefore: '2000-01-01 00:00:00 +0000 +00' }, []],
  ];
  it.each(filters)('lists and counts with %s', async (_n, filter, expected) => {
    const list = await h.local(Agent).listAgents({ filter });
    expect(list.agents.map((a) => a.id?.path.split('/').pop()).sort()).toEqual(expected);
    const count = await h.local(Agent).countAgents({ filter });
    expect(count.count).toBe(expected.length);
  });

  it('pages with page_size and next_page_token', async () => {
    const first = await h.local(Agent).listAgents({ pageSize: 2 });
    const second = await h.local(Agent).listAgents({ pageSize: 2, pageToken: first.nextPageToken });
    const ids = [...first.agents, ...second.agents].map((a) => a.id?.path);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    expect(second.nextPageToken).toBe('');
  });

  it('refuses a malformed by_expires_before', async () => {
    await expectRpcError(
      h.local(Agent).listAgents({ filter: { byExpiresBefore: 'yesterday' } }),
      Code.InvalidArgument,
      'failed to parse filter: by_expires_before "yesterday" must have the form "2006-01-02 15:04:05 -0700 -07"',
    );
  });

  it('gets one agent with its selectors and decimal serial; NotFound for an unknown one', async () => {
    const node = await h.datastore.fetchAttestedNode('spiffe://example.org/spire/agent/x509pop/b');
    const agent = await h.local(Agent).getAgent({ id: id('/spire/agent/x509pop/b') });
    expect(agent).toMatchObject({
      attestationType: 'x509pop',
      x509svidSerialNumber: BigInt(`0x${node?.certSerialNumber}`).toString(10),
      selectors: [
        { type: 'x', value: '1' },
        { type: 'x', value: '2' },
      ],
      canReattest: true,
      banned: false,
    });
    await expectRpcError(
      h.local(Agent).getAgent({ id: id('/spire/agent/none') }),
      Code.NotFound,
      'agent not found',
    );
    await expectRpcError(
      h.local(Agent).getAgent({ id: id('/workload') }),
      Code.InvalidArgument,
      'invalid agent ID: "spiffe://example.org/workload" is not an agent in trust domain "example.org"',
    );
  });

  it('is refused to anonymous callers', async () => {
    await expectRpcError(
      h.anonymous(Agent).listAgents({}),
      Code.PermissionDenied,
      denied('ListAgents'),
    );
    await expectRpcError(
      h.anonymous(Agent).getAgent({ id: id('/spire/agent/join_token/a') }),
      Code.PermissionDenied,
      denied('GetAgent'),
    );
  });
});

describe('RenewAgent and PostStatus (reference §3.8)', () => {
  it('records the renewed SVID as the new serial and promotes it on first use', async () => {
    const old = await joinTokenAgent('renew');
    const agentId = 'spiffe://example.org/spire/agent/join_token/renew';
    const csr = await makeCsr();
    const res = await h.withSvid(Agent, old).renewAgent({ params: { csr: csr.der } });
    const renewed = await presentable(res.svid, csr.keys);

    expect(await h.datastore.fetchAttestedNode(agentId)).toMatchObject({
      certSerialNumber: old.serial,
      newCertSerialNumber: renewed.serial,
    });
    await h.withSvid(Agent, renewed).postStatus({ agentVersion: '1.2.3' });
    expect(await h.datastore.fetchAttestedNode(agentId)).toMatchObject({
      certSerialNumber: serialOf(res.svid?.certChain[0] as Uint8Array),
      newCertSerialNumber: '',
      agentVersion: '1.2.3',
    });
    await expectRpcError(
      h.withSvid(Agent, old).postStatus({ agentVersion: '1' }),
      Code.PermissionDenied,
      denied('PostStatus'),
      Reason.AGENT_NOT_ACTIVE,
    );
  });

  it('tells a re-attestable agent to re-attest instead (AGENT_MUST_REATTEST)', async () => {
    const { svid } = await h.attestedAgent('/spire/agent/x509pop/n', {
      node: { canReattest: true },
    });
    await expectRpcError(
      h.withSvid(Agent, svid).renewAgent({ params: { csr: (await makeCsr()).der } }),
      Code.PermissionDenied,
      'agent must reattest instead of renew',
      Reason.AGENT_MUST_REATTEST,
    );
  });

  it('refuses a missing CSR, a long version, and local callers', async () => {
    const { svid } = await h.attestedAgent('/spire/agent/join_token/z');
    await expectRpcError(
      h.withSvid(Agent, svid).renewAgent({}),
      Code.InvalidArgument,
      'params cannot be nil',
    );
    await expectRpcError(
      h.withSvid(Agent, svid).renewAgent({ params: {} }),
      Code.InvalidArgument,
      'missing CSR',
    );
    await expectRpcError(
      h.withSvid(Agent, svid).postStatus({ agentVersion: 'v'.repeat(256) }),
      Code.InvalidArgument,
      'agent version is too long (max 255 characters)',
    );
    await expectRpcError(
      h.local(Agent).renewAgent({}),
      Code.PermissionDenied,
      denied('RenewAgent'),
    );
  });

  it('bans and evicts only known agents', async () => {
    await expectRpcError(
      h.local(Agent).banAgent({ id: id('/spire/agent/ghost') }),
      Code.NotFound,
      'agent not found',
    );
    await expectRpcError(
      h.local(Agent).deleteAgent({ id: id('/spire/agent/ghost') }),
      Code.NotFound,
      'agent not found',
    );
  });
});
