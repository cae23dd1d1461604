import { generateKeyPairSync } from 'node:crypto';
import { type Client, Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INFINITY_P256_SPKI,
  withSubjectKey,
} from '../../../../spiffe/test/support/infinity-key.js';
import {
  Bundle,
  BatchDeleteFederatedBundleRequest_Mode as Mode,
} from '../../../src/gen/spire/api/server/bundle/v1/bundle_pb.js';
import { createBundleService } from '../../../src/server/api/bundle/index.js';
import { type ServerHarness, startServerHarness } from '../../support/server-harness.js';

let h: ServerHarness;
let other: ServerHarness;
let otherCa: Uint8Array;
beforeAll(async () => {
  h = await startServerHarness({ services: (ctx) => [[Bundle, createBundleService(ctx)]] });
  // A second CA gives real certificates for a foreign trust domain's bundle.
  other = await startServerHarness();
  otherCa = other.ctx.ca.bundle().x509Authorities[0] ?? new Uint8Array();
});
afterAll(async () => {
  await h?.close();
  await other?.close();
});

const foreign = (td: string) => ({ trustDomain: td, x509Authorities: [{ asn1: otherCa }] });

describe('Bundle.GetBundle', () => {
  it('anyone (even anonymous) gets the trust domain bundle with the CA certificate', async () => {
    const b = await h.anonymous(Bundle).getBundle({});
    expect(b.trustDomain).toBe('example.org');
    expect(b.x509Authorities.map((a) => Buffer.from(a.asn1))).toEqual(
      h.ctx.ca.bundle().x509Authorities,
    );
    expect(b.jwtAuthorities.map((k) => k.keyId)).toEqual(
      h.ctx.ca.bundle().jwtAuthorities.map((k) => k.kid),
    );
  });
});

describe('Bundle.AppendBundle', () => {
  it('appends a JWT key and bumps the sequence number', async () => {
    const before = await h.local(Bundle).getBundle({});
    const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    const after = await h
      .local(Bundle)
      .appendBundle({ jwtAuthorities: [{ keyId: 'appended', publicKey: spki }] });
    expect(after.jwtAuthorities.map((k) => k.keyId)).toContain('appended');
    expect(after.sequenceNumber).toBe(before.sequenceNumber + 1n);
  });

  it('a JWT key without key id is InvalidArgument', async () => {
    const err = ConnectError.from(
      await h
        .local(Bundle)
        .appendBundle({ jwtAuthorities: [{ keyId: '', publicKey: new Uint8Array(1) }] })
        .catch((e: unknown) => e),
    );
    expect([err.code, err.rawMessage]).toEqual([
      Code.InvalidArgument,
      'failed to convert bundle: failed to convert JWT authority: missing key ID',
    ]);
  });
});

describe('authorities at the ec point at infinity', () => {
  // Node 20 aborts the process when such a key is marshalled into a SPIFFE bundle (JWK export),
  // so the API refuses to store one.
  it('BatchSetFederatedBundle refuses an X.509 authority with such a key, then keeps serving', async () => {
    const c = h.local(Bundle);
    const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const bad = new Uint8Array(withSubjectKey(otherCa, signer).raw);
    const set = await c.batchSetFederatedBundle({
      bundle: [{ trustDomain: 'infinity.org', x509Authorities: [{ asn1: bad }] }],
    });
    expect(set.results[0]?.status).toMatchObject({
      code: Code.InvalidArgument,
      message:
        'failed to convert bundle: failed to convert X.509 authority: public key is the ec point at infinity',
    });
    const err = ConnectError.from(
      await c.getFederatedBundle({ trustDomain: 'infinity.org' }).catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.NotFound);
    expect((await c.getBundle({})).trustDomain).toBe('example.org');
  });

  it('AppendBundle refuses a JWT authority with such a key', async () => {
    const err = ConnectError.from(
      await h
        .local(Bundle)
        .appendBundle({
          jwtAuthorities: [{ keyId: 'inf', publicKey: new Uint8Array(INFINITY_P256_SPKI) }],
        })
        .catch((e: unknown) => e),
    );
    expect([err.code, err.rawMessage]).toEqual([
      Code.InvalidArgument,
      'failed to convert bundle: failed to convert JWT authority: public key is the ec point at infinity',
    ]);
  });
});

describe('federated bundles', () => {
  it('create, get, list, count, then delete', async () => {
    const c = h.local(Bundle);
    const created = await c.batchCreateFederatedBundle({ bundle: [foreign('spiffe://other.org')] });
    expect(created.results.map((r) => [r.status?.code, r.bundle?.trustDomain])).toEqual([
      [0, 'other.org'],
    ]);
    const again = await c.batchCreateFederatedBundle({ bundle: [foreign('other.org')] });
    expect(again.results[0]?.status).toMatchObject({
      code: Code.AlreadyExists,
      message: 'bundle already exists',
    });
    expect((await c.getFederatedBundle({ trustDomain: 'other.org' })).trustDomain).toBe(
      'other.org',
    );
    expect((await c.listFederatedBundles({})).bundles.map((b) => b.trustDomain)).toEqual([
      'other.org',
    ]);
    expect((await c.countBundles({})).count).toBe(2);
    const del = await c.batchDeleteFederatedBundle({ trustDomains: ['other.org'] });
    expect(del.results.map((r) => [r.trustDomain, r.status?.code])).toEqual([['other.org', 0]]);
    const err = ConnectError.from(
      await c.getFederatedBundle({ trustDomain: 'other.org' }).catch((e: unknown) => e),
    );
    expect([err.code, err.rawMessage]).toEqual([Code.NotFound, 'bundle not found']);
  });

  it("the server's own trust domain is not a federated bundle", async () => {
    const c = h.local(Bundle);
    const created = await c.batchCreateFederatedBundle({ bundle: [foreign('example.org')] });
    expect(created.results[0]?.status).toMatchObject({
      code: Code.InvalidArgument,
      message: "creating a federated bundle for the server's own trust domain is not allowed",
    });
    const del = await c.batchDeleteFederatedBundle({ trustDomains: ['example.org'] });
    expect(del.results[0]?.status).toMatchObject({
      code: Code.InvalidArgument,
      message: 'removing the bundle for the server trust domain is not allowed',
    });
  });

  const modes: [string, Mode, number, string[] | undefined][] = [
    [
      'RESTRICT refuses while an entry federates with it (D09)',
      Mode.RESTRICT,
      Code.FailedPrecondition,
      ['other.org'],
    ],
    ['DISSOCIATE deletes the bundle and keeps the entry', Mode.DISSOCIATE, 0, []],
    ['DELETE deletes the bundle and the entry', Mode.DELETE, 0, undefined],
  ];
  for (const [name, mode, code, federates] of modes) {
    it(name, async () => {
      const c = h.local(Bundle);
      await c.batchSetFederatedBundle({ bundle: [foreign('other.org')] });
      const e = await h.datastore.createEntry({
        spiffeId: 'spiffe://example.org/fed',
        parentId: 'spiffe://example.org/agent',
        selectors: [{ type: 'unix', value: `uid:${mode}` }],
        federatesWith: ['other.org'],
      });
      const del = await c.batchDeleteFederatedBundle({ trustDomains: ['other.org'], mode });
      expect(del.results[0]?.status?.code).toBe(code);
      if (code !== 0) {
        expect(del.results[0]?.status?.message).toContain(
          'cannot delete bundle; federated with 1 registration entries',
        );
      }
      expect((await h.datastore.fetchEntry(e.id))?.federatesWith).toEqual(federates);
      if (code !== 0) await h.datastore.deleteEntry(e.id);
      else if (federates) await h.datastore.deleteEntry(e.id);
      await h.datastore.deleteBundle('other.org', 'delete').catch(() => undefined);
    });
  }
});

describe('Bundle API authorization', () => {
  const calls: [string, (c: Client<typeof Bundle>) => Promise<unknown>][] = [
    ['AppendBundle', (c) => c.appendBundle({})],
    ['CountBundles', (c) => c.countBundles({})],
    ['ListFederatedBundles', (c) => c.listFederatedBundles({})],
    ['GetFederatedBundle', (c) => c.getFederatedBundle({ trustDomain: 'other.org' })],
    ['BatchCreateFederatedBundle', (c) => c.batchCreateFederatedBundle({})],
    ['BatchUpdateFederatedBundle', (c) => c.batchUpdateFederatedBundle({})],
    ['BatchSetFederatedBundle', (c) => c.batchSetFederatedBundle({})],
    ['BatchDeleteFederatedBundle', (c) => c.batchDeleteFederatedBundle({})],
  ];
  for (const [method, call] of calls) {
    it(`${method} is PermissionDenied to an anonymous caller`, async () => {
      const err = ConnectError.from(await call(h.anonymous(Bundle)).catch((e: unknown) => e));
      expect([err.code, err.rawMessage]).toEqual([
        Code.PermissionDenied,
        `authorization denied for method /spire.api.server.bundle.v1.Bundle/${method}`,
      ]);
    });
  }

  it('an active agent may get a federated bundle', async () => {
    await h.local(Bundle).batchSetFederatedBundle({ bundle: [foreign('agents.org')] });
    const { svid } = await h.attestedAgent('/spire/agent/join_token/fb');
    const b = await h.withSvid(Bundle, svid).getFederatedBundle({ trustDomain: 'agents.org' });
    expect(b.trustDomain).toBe('agents.org');
  });
});
