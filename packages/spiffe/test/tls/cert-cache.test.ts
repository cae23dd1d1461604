import { authenticatePeer, BundleSet, matchAny, PeerCertificateCache } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { createCa } from '../support/certs.js';

const ders = [createCa(), createCa(), createCa()].map((c) => c.der);
const [a, b, c] = ders as [Buffer, Buffer, Buffer];

describe('PeerCertificateCache', () => {
  it('returns the same parsed certificate for the same bytes, even from another buffer', () => {
    const cache = new PeerCertificateCache(2);

    const first = cache.parse(a);

    expect(cache.parse(Buffer.from(a))).toBe(first);
    expect(first.raw.equals(a)).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('evicts the least recently used certificate past its bound', () => {
    const cache = new PeerCertificateCache(2);
    const keptA = cache.parse(a);
    const firstB = cache.parse(b);
    cache.parse(a); // a is now the most recent

    cache.parse(c); // evicts b

    expect(cache.size).toBe(2);
    expect(cache.parse(a)).toBe(keptA);
    expect(cache.parse(b)).not.toBe(firstB);
  });

  it('caches nothing at size 0 and shrinks on resize', () => {
    const cache = new PeerCertificateCache(3);
    for (const der of ders) cache.parse(der);

    cache.resize(1);
    expect(cache.size).toBe(1);
    cache.resize(0);

    expect(cache.size).toBe(0);
    expect(cache.parse(a)).not.toBe(cache.parse(a));
    expect(cache.maxEntries).toBe(0);
  });

  it.each([-1, 1.5, Number.NaN])('refuses the bound %s', (bound) => {
    expect(() => new PeerCertificateCache(bound)).toThrow(
      new RangeError(`maxEntries must be a non-negative integer, got ${bound}`),
    );
  });
});

describe('authenticatePeer input', () => {
  it.each<[string, Buffer[], string, string]>([
    ['no certificate', [], 'ERR_TLS_NO_PEER_CERTIFICATE', 'client presented no certificate'],
    [
      'leaf bytes that are not DER',
      [Buffer.from('not a certificate')],
      'ERR_TLS_PEER_UNVERIFIED',
      'client leaf is not a valid der certificate',
    ],
    [
      'second certificate that is not DER',
      [a, Buffer.from([0x30, 0x03, 0x02, 0x01])],
      'ERR_TLS_PEER_UNVERIFIED',
      'client certificate 2 is not a valid der certificate',
    ],
  ])('refuses %s with a typed error', (_name, chain, code, message) => {
    expect(() => authenticatePeer(chain, new BundleSet([]), matchAny(), 'client')).toThrow(
      expect.objectContaining({ code, message }),
    );
  });
});
