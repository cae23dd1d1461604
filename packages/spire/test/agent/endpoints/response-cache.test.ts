import { fromBinary } from '@bufbuild/protobuf';
import { X509SVIDResponseSchema } from '@spire-ts/spiffe/workload-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { X509SvidResponseCache } from '../../../src/agent/endpoints/index.js';
import type {
  WorkloadState,
  WorkloadX509Identity,
} from '../../../src/agent/manager/workload-view.js';
import { type FakeAuthority, makeAuthority, makeIdentity } from './support/fake-view.js';

let own: FakeAuthority;
let partner: FakeAuthority;
let a: WorkloadX509Identity;
let b: WorkloadX509Identity;

beforeAll(async () => {
  own = await makeAuthority('example.org');
  partner = await makeAuthority('partner.test');
  a = await makeIdentity(own, 'spiffe://example.org/a');
  b = await makeIdentity(own, 'spiffe://example.org/b');
});

function state(
  identities: WorkloadX509Identity[],
  federated: [string, FakeAuthority][] = [],
): WorkloadState {
  return {
    identities,
    bundle: own.bundle,
    federatedBundles: new Map(federated.map(([td, auth]) => [td, auth.bundle])),
  };
}

function ids(bytes: Uint8Array): string[] {
  return fromBinary(X509SVIDResponseSchema, bytes).svids.map((s) => s.spiffeId);
}

describe('X509SvidResponseCache (Workload API §5.2 messages shared across callers)', () => {
  it('states made of the same objects share one encoding', () => {
    const cache = new X509SvidResponseCache();

    const first = cache.encode(state([a, b]));
    const second = cache.encode(state([a, b]));

    expect(second).toBe(first);
    expect(ids(first)).toEqual(['spiffe://example.org/a', 'spiffe://example.org/b']);
  });

  it('a state with the same first identity but another identity set gets its own bytes', () => {
    const cache = new X509SvidResponseCache();

    const both = cache.encode(state([a, b]));
    const onlyA = cache.encode(state([a]));
    const bothAgain = cache.encode(state([a, b]));

    expect(ids(onlyA)).toEqual(['spiffe://example.org/a']);
    expect(ids(bothAgain)).toEqual(['spiffe://example.org/a', 'spiffe://example.org/b']);
    expect(bothAgain).toBe(both);
  });

  it('another order, another federated bundle or a rotated identity is another message', async () => {
    const cache = new X509SvidResponseCache();
    const plain = cache.encode(state([a, b]));

    const reordered = cache.encode(state([b, a]));
    const federated = cache.encode(state([a, b], [['partner.test', partner]]));
    const rotated = await makeIdentity(own, 'spiffe://example.org/a');
    const afterRotation = cache.encode(state([rotated, b]));

    expect(ids(reordered)).toEqual(['spiffe://example.org/b', 'spiffe://example.org/a']);
    expect(Object.keys(fromBinary(X509SVIDResponseSchema, federated).federatedBundles)).toEqual([
      'spiffe://partner.test',
    ]);
    expect(Object.keys(fromBinary(X509SVIDResponseSchema, plain).federatedBundles)).toEqual([]);
    const leaf = fromBinary(X509SVIDResponseSchema, afterRotation).svids[0]!.x509Svid;
    expect(Buffer.from(leaf).equals(Buffer.from(rotated.certChainDer))).toBe(true);
    expect(Buffer.from(leaf).equals(Buffer.from(a.certChainDer))).toBe(false);
  });

  it('keeps at most 8 states per first identity and stays correct past that', () => {
    const cache = new X509SvidResponseCache();
    const states = Array.from({ length: 10 }, (_, i) =>
      state([a, ...Array.from({ length: i }, () => b)]),
    );

    for (const s of states) expect(ids(cache.encode(s))).toHaveLength(s.identities.length);
    for (const s of states) expect(ids(cache.encode(s))).toHaveLength(s.identities.length);
  });
});
