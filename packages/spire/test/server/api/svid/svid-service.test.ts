import { Code } from '@connectrpc/connect';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SVID } from '../../../../src/gen/spire/api/server/svid/v1/svid_pb.js';
import { createSvidService } from '../../../../src/server/api/svid/service.js';
import { type ServerHarness, startServerHarness } from '../../../support/server-harness.js';
import {
  csrOnCurve,
  ed25519ForgedCsr,
  infinityKeyCsr,
  Oids,
  rsaExponentOneCsr,
} from '../attestation/csr-keys.js';
import { expectRpcError, makeCsr, urisOf } from '../attestation/support.js';

let h: ServerHarness;
let mine: string;
let theirs: string;
let agentSvid: Awaited<ReturnType<ServerHarness['attestedAgent']>>['svid'];
const AGENT = 'spiffe://example.org/spire/agent/join_token/mine';
const denied = (m: string) => `authorization denied for method /spire.api.server.svid.v1.SVID/${m}`;

beforeEach(async () => {
  h = await startServerHarness({ services: (ctx) => [[SVID, createSvidService(ctx)]] });
  agentSvid = (await h.attestedAgent('/spire/agent/join_token/mine')).svid;
  await h.attestedAgent('/spire/agent/join_token/theirs');
  const create = async (parentId: string, spiffeId: string, extra = {}) => {
    const e = await h.datastore.createEntry({
      parentId,
      spiffeId,
      selectors: [{ type: 'unix', value: 'uid:1' }],
      ...extra,
    });
    await h.ctx.changed.entries([e.id]);
    return e.id;
  };
  mine = await create(AGENT, 'spiffe://example.org/web', {
    dnsNames: ['web.example.org'],
    x509SvidTtl: 120,
  });
  theirs = await create(
    'spiffe://example.org/spire/agent/join_token/theirs',
    'spiffe://example.org/db',
  );
});
afterEach(() => h.close());

describe('BatchNewX509SVID (reference §3.8, CVE-2021-27098)', () => {
  it('signs the entry ID, DNS names and TTL whatever the CSR asks for', async () => {
    const csr = await makeCsr({ uris: ['spiffe://example.org/db'], dns: ['evil.example'] });
    const res = await h
      .withSvid(SVID, agentSvid)
      .batchNewX509SVID({ params: [{ entryId: mine, csr: csr.der }] });
    const [result] = res.results;
    expect(result?.status).toMatchObject({ code: 0, message: 'OK' });
    const leaf = result?.svid?.certChain[0] as Uint8Array;
    expect(urisOf(leaf)).toEqual(['spiffe://example.org/web']);
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(leaf);
    expect(cert.subjectAltName).toBe('DNS:web.example.org, URI:spiffe://example.org/web');
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(130_000);
    expect(Number(result?.svid?.expiresAt) * 1000).toBe(Date.parse(cert.validTo));
  });

  it('answers each item on its own: unauthorized, unknown, missing and malformed items fail', async () => {
    const good = (await makeCsr()).der;
    const res = await h.withSvid(SVID, agentSvid).batchNewX509SVID({
      params: [
        { entryId: theirs, csr: good },
        { entryId: 'no-such-entry', csr: good },
        { entryId: '', csr: good },
        { entryId: mine, csr: new Uint8Array() },
        { entryId: mine, csr: Uint8Array.of(0x30, 0x00) },
        { entryId: mine, csr: good },
      ],
    });
    expect(
      res.results.map((r) => [r.status?.code, r.status?.message, r.svid !== undefined]),
    ).toEqual([
      [Code.NotFound, 'entry not found or not authorized', false],
      [Code.NotFound, 'entry not found or not authorized', false],
      [Code.InvalidArgument, 'missing entry ID', false],
      [Code.InvalidArgument, 'missing CSR', false],
      [
        Code.InvalidArgument,
        'malformed CSR: csr is not a der pkcs#10 request: wrong number of parts',
        false,
      ],
      [0, 'OK', true],
    ]);
  });

  it('answers items in request order, each SVID for the key of its own CSR, failures between', async () => {
    const csrs = await Promise.all([makeCsr(), makeCsr(), makeCsr()]);
    const res = await h.withSvid(SVID, agentSvid).batchNewX509SVID({
      params: [
        { entryId: mine, csr: csrs[0]?.der },
        { entryId: mine, csr: Uint8Array.of(0x30, 0x00) },
        { entryId: mine, csr: csrs[1]?.der },
        { entryId: theirs, csr: csrs[2]?.der },
        { entryId: mine, csr: csrs[2]?.der },
      ],
    });
    const { X509Certificate } = await import('node:crypto');
    const keyOf = (r: (typeof res.results)[number]) => {
      const leaf = r.svid?.certChain[0];
      if (!leaf) return r.status?.message;
      return new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' });
    };
    expect(res.results.map(keyOf)).toEqual([
      csrs[0]?.spki,
      'malformed CSR: csr is not a der pkcs#10 request: wrong number of parts',
      csrs[1]?.spki,
      'entry not found or not authorized',
      csrs[2]?.spki,
    ]);
  });

  it('signs no key whose possession the CSR does not prove: point at infinity, other curve, RSA e=1, Ed25519 identity', async () => {
    const identity = Buffer.alloc(32);
    identity[0] = 1;
    const res = await h.withSvid(SVID, agentSvid).batchNewX509SVID({
      params: [
        { entryId: mine, csr: infinityKeyCsr() },
        { entryId: mine, csr: csrOnCurve('secp256k1', Oids.ecdsaWithSha256, 'sha256') },
        { entryId: mine, csr: rsaExponentOneCsr() },
        { entryId: mine, csr: ed25519ForgedCsr(identity) },
      ],
    });
    expect(
      res.results.map((r) => [r.status?.code, r.status?.message, r.svid !== undefined]),
    ).toEqual([
      [
        Code.InvalidArgument,
        'malformed CSR: csr is not a der pkcs#10 request: ec public key must be an uncompressed point of its curve',
        false,
      ],
      [
        Code.InvalidArgument,
        'malformed CSR: csr public key must be rsa, ed25519 or ecdsa on p-224, p-256, p-384 or p-521',
        false,
      ],
      [
        Code.InvalidArgument,
        'malformed CSR: csr rsa public key must have a modulus of at least 1024 bits and an odd exponent from 3 to 2^31-1',
        false,
      ],
      [
        Code.InvalidArgument,
        'malformed CSR: csr is not a der pkcs#10 request: ed25519 public key is a point of small order',
        false,
      ],
    ]);
  });

  it('signs what the entry says after an update: new ID, DNS names and TTL, never the old ones', async () => {
    const client = h.withSvid(SVID, agentSvid);
    const mintOne = async () => {
      const csr = await makeCsr({ uris: ['spiffe://example.org/db'], dns: ['evil.example'] });
      const res = await client.batchNewX509SVID({ params: [{ entryId: mine, csr: csr.der }] });
      const svid = res.results[0]?.svid;
      const { X509Certificate } = await import('node:crypto');
      const cert = new X509Certificate(svid?.certChain[0] as Uint8Array);
      return {
        id: `${svid?.id?.trustDomain}${svid?.id?.path}`,
        subject: cert.subject,
        san: cert.subjectAltName,
        ttlMs: Date.parse(cert.validTo) - Date.parse(cert.validFrom) - 10_000,
      };
    };
    expect(await mintOne()).toEqual({
      id: 'example.org/web',
      subject: 'C=US\nO=SPIRE\nCN=web.example.org',
      san: 'DNS:web.example.org, URI:spiffe://example.org/web',
      ttlMs: 120_000,
    });
    const entry = await h.datastore.fetchEntry(mine);
    if (!entry) throw new Error('entry vanished');
    await h.datastore.updateEntry({
      ...entry,
      spiffeId: 'spiffe://example.org/web-v2',
      dnsNames: ['v2.example.org', 'web.example.org'],
      x509SvidTtl: 300,
    });
    await h.ctx.changed.entries([mine]);
    expect(await mintOne()).toEqual({
      id: 'example.org/web-v2',
      subject: 'C=US\nO=SPIRE\nCN=v2.example.org',
      san: 'DNS:v2.example.org, DNS:web.example.org, URI:spiffe://example.org/web-v2',
      ttlMs: 300_000,
    });
    await h.datastore.updateEntry({ ...entry, dnsNames: [], x509SvidTtl: 60 });
    await h.ctx.changed.entries([mine]);
    expect(await mintOne()).toEqual({
      id: 'example.org/web',
      subject: 'C=US\nO=SPIRE',
      san: 'URI:spiffe://example.org/web',
      ttlMs: 60_000,
    });
  });

  it('refuses an empty batch, and callers that are not active agents', async () => {
    await expectRpcError(
      h.withSvid(SVID, agentSvid).batchNewX509SVID({ params: [] }),
      Code.InvalidArgument,
      'missing parameters',
    );
    await expectRpcError(
      h.local(SVID).batchNewX509SVID({ params: [] }),
      Code.PermissionDenied,
      denied('BatchNewX509SVID'),
    );
    const workload = await h.mintSvid('/web');
    await expectRpcError(
      h.withSvid(SVID, workload).batchNewX509SVID({ params: [] }),
      Code.PermissionDenied,
      denied('BatchNewX509SVID'),
    );
  });
});

describe('NewJWTSVID', () => {
  it('signs a JWT-SVID for an authorized entry with the entry ID as sub', async () => {
    const res = await h
      .withSvid(SVID, agentSvid)
      .newJWTSVID({ entryId: mine, audience: ['a', 'b'] });
    const claims = JSON.parse(
      Buffer.from(res.svid?.token.split('.')[1] ?? '', 'base64url').toString(),
    );
    expect(claims).toMatchObject({ sub: 'spiffe://example.org/web', aud: ['a', 'b'] });
    expect(Number(res.svid?.expiresAt)).toBe(claims.exp);
    expect(Number(res.svid?.issuedAt)).toBe(claims.iat);
  });

  it('refuses an entry of another agent, and an empty audience', async () => {
    const client = h.withSvid(SVID, agentSvid);
    await expectRpcError(
      client.newJWTSVID({ entryId: theirs, audience: ['a'] }),
      Code.NotFound,
      'entry not found or not authorized',
    );
    await expectRpcError(
      client.newJWTSVID({ entryId: mine, audience: [] }),
      Code.InvalidArgument,
      'at least one audience is required',
    );
    await expectRpcError(
      h.anonymous(SVID).newJWTSVID({ entryId: mine, audience: ['a'] }),
      Code.PermissionDenied,
      denied('NewJWTSVID'),
    );
  });
});

describe('MintX509SVID and MintJWTSVID (local or admin)', () => {
  it('mints the CSR URI SAN with its DNS names and ttl', async () => {
    const csr = await makeCsr({ uris: ['spiffe://example.org/minted'], dns: ['*.example.org'] });
    const res = await h.local(SVID).mintX509SVID({ csr: csr.der, ttl: 60 });
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(res.svid?.certChain[0] as Uint8Array);
    expect(cert.subjectAltName).toBe('DNS:*.example.org, URI:spiffe://example.org/minted');
    expect(cert.subject).toContain('CN=*.example.org');
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(70_000);
  });

  const refusals: [string, { uris?: string[]; dns?: string[] }, string][] = [
    ['no URI SAN', {}, 'CSR URI SAN is required'],
    [
      'two URI SANs',
      { uris: ['spiffe://example.org/a', 'spiffe://example.org/b'] },
      'only one URI SAN is expected',
    ],
    [
      'another trust domain',
      { uris: ['spiffe://other.org/a'] },
      'CSR URI SAN is invalid: "spiffe://other.org/a" is not a member of trust domain "example.org"',
    ],
    [
      'a reserved path',
      { uris: ['spiffe://example.org/spire/agent/x'] },
      'CSR URI SAN is invalid: "spiffe://example.org/spire/agent/x" is in the reserved /spire/ namespace',
    ],
    [
      'a wildcard that is not the first label (D14)',
      { uris: ['spiffe://example.org/a'], dns: ['a.*.example.org'] },
      'CSR DNS name is invalid: dns name "a.*.example.org" must be ascii labels of 1-63 letters, digits or hyphens',
    ],
    [
      'a trailing dot (D14)',
      { uris: ['spiffe://example.org/a'], dns: ['example.org.'] },
      'CSR DNS name is invalid: dns name "example.org." must be ascii labels of 1-63 letters, digits or hyphens',
    ],
    [
      'a wildcard covering another name (D14)',
      { uris: ['spiffe://example.org/a'], dns: ['*.example.org', 'api.example.org'] },
      'CSR DNS name contains a wildcard that covers another non-wildcard name',
    ],
  ];
  it.each(refusals)('refuses a CSR with %s', async (_n, sans, message) => {
    const csr = await makeCsr(sans);
    await expectRpcError(
      h.local(SVID).mintX509SVID({ csr: csr.der }),
      Code.InvalidArgument,
      message,
    );
  });

  it('mints a JWT-SVID for a workload ID; refuses reserved IDs and anonymous callers', async () => {
    const res = await h
      .local(SVID)
      .mintJWTSVID({ id: { trustDomain: 'example.org', path: '/jwt' }, audience: ['x'], ttl: 30 });
    expect(Number(res.svid?.expiresAt) - Number(res.svid?.issuedAt)).toBe(30);
    await expectRpcError(
      h.local(SVID).mintJWTSVID({
        id: { trustDomain: 'example.org', path: '/spire/server' },
        audience: ['x'],
      }),
      Code.InvalidArgument,
      'invalid SPIFFE ID: "spiffe://example.org/spire/server" is in the reserved /spire/ namespace',
    );
    await expectRpcError(
      h
        .anonymous(SVID)
        .mintJWTSVID({ id: { trustDomain: 'example.org', path: '/jwt' }, audience: ['x'] }),
      Code.PermissionDenied,
      denied('MintJWTSVID'),
    );
  });
});
