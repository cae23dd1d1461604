import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@connectrpc/connect';
import { verifyCertificatePath } from '@spire-ts/spiffe';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AgentX509PopAttestor,
  parseAgentX509PopConfig,
} from '../../../../src/agent/plugin/nodeattestor/x509pop/x509pop.js';
import { realClock } from '../../../../src/common/clock/index.js';
import { fingerprint } from '../../../../src/common/plugin/x509pop/protocol.js';
import { Agent } from '../../../../src/gen/spire/api/server/agent/v1/agent_pb.js';
import { PermissionDeniedDetails_Reason as Reason } from '../../../../src/gen/spire/api/types/status_pb.js';
import { createAgentService } from '../../../../src/server/api/agent/service.js';
import { parseX509PopConfig } from '../../../../src/server/plugin/nodeattestor/x509pop/config.js';
import { X509PopAttestor } from '../../../../src/server/plugin/nodeattestor/x509pop/x509pop.js';
import { makeCert } from '../../../support/pki.js';
import { type ServerHarness, startServerHarness } from '../../../support/server-harness.js';
import { attest, expectRpcError, makeCsr, presentable, serialOf, urisOf } from './support.js';

const DAY = 86_400_000;
let pkiDir: string;
let leafFingerprint: string;

beforeAll(async () => {
  pkiDir = mkdtempSync(join(tmpdir(), 'attest-pki-'));
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + 30 * DAY);
  const root = await makeCert({ subject: 'CN=Node Root', ca: true, notBefore, notAfter });
  const leaf = await makeCert({
    subject: 'CN=node-1',
    issuer: root,
    serial: '0a1b',
    notBefore,
    notAfter,
  });
  writeFileSync(join(pkiDir, 'root.pem'), root.pem);
  writeFileSync(join(pkiDir, 'leaf.pem'), leaf.pem);
  writeFileSync(join(pkiDir, 'leaf.key'), leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  leafFingerprint = fingerprint(leaf.cert.raw);
});
afterAll(() => rmSync(pkiDir, { recursive: true, force: true }));

let h: ServerHarness;
beforeEach(async () => {
  const x509pop = new X509PopAttestor({
    trustDomain: 'example.org',
    config: parseX509PopConfig({ ca_bundle_path: join(pkiDir, 'root.pem') }),
    clock: realClock,
    verifyChain: verifyCertificatePath,
  });
  h = await startServerHarness({
    services: (ctx) => [[Agent, createAgentService(ctx)]],
    nodeAttestors: [x509pop],
  });
});
afterEach(() => h.close());

const tokenPayload = (t: string) => new TextEncoder().encode(t);
const x509popAgent = () =>
  new AgentX509PopAttestor(
    parseAgentX509PopConfig({
      private_key_path: join(pkiDir, 'leaf.key'),
      certificate_path: join(pkiDir, 'leaf.pem'),
    }),
  );

async function attestX509pop(client = h.anonymous(Agent), csr?: Uint8Array) {
  const agent = x509popAgent();
  const der = csr ?? (await makeCsr()).der;
  return attest(client, {
    type: 'x509pop',
    payload: await agent.payload(),
    csr: der,
    respond: (c) => agent.respond(c),
  });
}

describe('AttestAgent with join_token (reference §3.8)', () => {
  it('signs the agent SVID for the token ID, ignoring the subject and SANs the CSR asks for', async () => {
    await h.local(Agent).createJoinToken({ ttl: 600, token: 'tok-1' });
    const csr = await makeCsr({
      uris: ['spiffe://example.org/spire/server'],
      dns: ['evil.example'],
    });
    const result = await attest(h.anonymous(Agent), {
      type: 'join_token',
      payload: tokenPayload('tok-1'),
      csr: csr.der,
    });

    const leaf = result.svid?.certChain[0] as Uint8Array;
    expect(urisOf(leaf)).toEqual(['spiffe://example.org/spire/agent/join_token/tok-1']);
    expect(result.reattestable).toBe(false);
    expect(result.svid?.id).toMatchObject({
      trustDomain: 'example.org',
      path: '/spire/agent/join_token/tok-1',
    });
    const node = await h.datastore.fetchAttestedNode(
      'spiffe://example.org/spire/agent/join_token/tok-1',
    );
    expect(node).toMatchObject({
      attestationDataType: 'join_token',
      certSerialNumber: serialOf(leaf),
      certNotAfter: Number(result.svid?.expiresAt),
      canReattest: false,
      banned: false,
    });
  });

  it('lets exactly one of 20 concurrent attestations use a token', async () => {
    await h.local(Agent).createJoinToken({ ttl: 600, token: 'race' });
    const csr = (await makeCsr()).der;
    const client = h.anonymous(Agent);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        attest(client, { type: 'join_token', payload: tokenPayload('race'), csr }),
      ),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason.rawMessage] : []));
    expect(ok).toHaveLength(1);
    expect(new Set(refused)).toEqual(
      new Set(['failed to attest: join token does not exist or has already been used']),
    );
    expect(refused).toHaveLength(19);
  });

  it('refuses an expired token with "join token expired"', async () => {
    await h.datastore.createJoinToken({
      token: 'old',
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    const csr = (await makeCsr()).der;
    await expectRpcError(
      attest(h.anonymous(Agent), { type: 'join_token', payload: tokenPayload('old'), csr }),
      Code.InvalidArgument,
      'join token expired',
    );
  });

  it('does not spend the token when the CSR is malformed', async () => {
    await h.local(Agent).createJoinToken({ ttl: 600, token: 'keep' });
    const err = await expectRpcError(
      attest(h.anonymous(Agent), {
        type: 'join_token',
        payload: tokenPayload('keep'),
        csr: Uint8Array.of(1, 2, 3),
      }),
      Code.InvalidArgument,
      'failed to parse CSR: csr is not a der pkcs#10 request: bad der encoding',
    );
    expect(err).toBeDefined();
    expect(await h.datastore.fetchJoinToken('keep')).toMatchObject({ token: 'keep' });
  });
});

describe('AttestAgent request checks', () => {
  const csrPromise = makeCsr();
  const cases: [string, { type: string; payload: Uint8Array; csr?: Uint8Array }, number, string][] =
    [
      [
        'no attestation type',
        { type: '', payload: tokenPayload('x') },
        Code.InvalidArgument,
        'malformed param: missing attestation data type',
      ],
      [
        'no payload',
        { type: 'join_token', payload: new Uint8Array() },
        Code.InvalidArgument,
        'malformed param: missing attestation data payload',
      ],
      [
        'no CSR',
        { type: 'join_token', payload: tokenPayload('x'), csr: new Uint8Array() },
        Code.InvalidArgument,
        'malformed param: missing CSR',
      ],
      [
        'an attestor that is not configured',
        { type: 'aws_iid', payload: tokenPayload('x') },
        Code.InvalidArgument,
        'failed to attest: no node attestor named "aws_iid"; configured node attestors: join_token, x509pop',
      ],
    ];
  it.each(cases)('refuses %s', async (_name, req, code, message) => {
    const csr = req.csr ?? (await csrPromise).der;
    await expectRpcError(attest(h.anonymous(Agent), { ...req, csr }), code, message);
  });
});

describe('AttestAgent with x509pop, ban and evict (reference §3.8, bug-cases-2 D12)', () => {
  const agentId = () => `spiffe://example.org/spire/agent/x509pop/${leafFingerprint}`;

  it('attests through the challenge, records selectors, and says the node can re-attest', async () => {
    const result = await attestX509pop();
    expect(urisOf(result.svid?.certChain[0] as Uint8Array)).toEqual([agentId()]);
    expect(result.reattestable).toBe(true);
    const selectors = await h.datastore.getNodeSelectors(agentId());
    expect(selectors.map((s) => `${s.type}:${s.value}`)).toContain('x509pop:subject:cn:node-1');
  });

  it('re-attests an existing node, replacing its serial', async () => {
    const first = await attestX509pop();
    const second = await attestX509pop();
    const node = await h.datastore.fetchAttestedNode(agentId());
    expect(node?.certSerialNumber).toBe(serialOf(second.svid?.certChain[0] as Uint8Array));
    expect(node?.certSerialNumber).not.toBe(serialOf(first.svid?.certChain[0] as Uint8Array));
  });

  it('refuses a banned agent until it is evicted, then attests it again', async () => {
    await attestX509pop();
    const [, idPath] = agentId().split('example.org');
    await h.local(Agent).banAgent({ id: { trustDomain: 'example.org', path: idPath } });
    await expectRpcError(
      attestX509pop(),
      Code.PermissionDenied,
      'failed to attest: agent is banned',
    );

    await h.local(Agent).deleteAgent({ id: { trustDomain: 'example.org', path: idPath } });
    const again = await attestX509pop();
    expect(urisOf(again.svid?.certChain[0] as Uint8Array)).toEqual([agentId()]);
  });

  it('refuses RenewAgent from a banned agent with AGENT_BANNED and from an evicted one with AGENT_NOT_ATTESTED', async () => {
    await h.local(Agent).createJoinToken({ ttl: 600, token: 'jt' });
    const csr = await makeCsr();
    const res = await attest(h.anonymous(Agent), {
      type: 'join_token',
      payload: tokenPayload('jt'),
      csr: csr.der,
    });
    const svid = await presentable(res.svid, csr.keys);
    const asAgent = h.withSvid(Agent, svid);
    const id = { trustDomain: 'example.org', path: '/spire/agent/join_token/jt' };
    const renew = async () => asAgent.renewAgent({ params: { csr: (await makeCsr()).der } });
    const denied = 'authorization denied for method /spire.api.server.agent.v1.Agent/RenewAgent';

    await h.local(Agent).banAgent({ id });
    await expectRpcError(renew, Code.PermissionDenied, denied, Reason.AGENT_BANNED);
    await h.local(Agent).deleteAgent({ id });
    await expectRpcError(renew, Code.PermissionDenied, denied, Reason.AGENT_NOT_ATTESTED);
  });
});
