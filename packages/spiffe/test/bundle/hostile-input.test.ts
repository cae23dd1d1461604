import { SpiffeBundle, TrustDomain, X509Bundle } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { createCa } from '../support/certs.js';

/**
 * `count` distinct certificates made by rewriting the serial number of one (the signatures no
 * longer verify, which parsing a bundle does not check). Much faster than issuing each one.
 */
function distinctCertificates(count: number): Buffer[] {
  const der = createCa().der;
  // Certificate and tbsCertificate headers are 4 bytes each (long-form lengths), then the
  // 5-byte explicit version, then the serial's INTEGER tag and one-byte length.
  const serialStart = 4 + 4 + 5 + 2;
  expect(der[serialStart - 2]).toBe(0x02);
  return Array.from({ length: count }, (_, i) => {
    const copy = Buffer.from(der);
    copy.writeUInt32BE(i, serialStart + 2);
    return copy;
  });
}

/** Milliseconds `fn` takes. */
function elapsed(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

// Pairwise duplicate checks took ~20 s at 10,000 authorities; linear loading takes 2-4 s, most
// of it in node's certificate parser.
describe('large bundles load in linear time (duplicates are found by hashing, not by pairs)', () => {
  const certs = distinctCertificates(10_000);
  const td = TrustDomain.fromString('example.org');

  it('X509Bundle.fromDer with 10,000 authorities', () => {
    let bundle: X509Bundle | undefined;
    const ms = elapsed(() => {
      bundle = X509Bundle.fromDer(td, Buffer.concat(certs));
    });
    expect(bundle?.x509Authorities()).toHaveLength(10_000);
    expect(ms).toBeLessThan(8_000);
  });

  it('SpiffeBundle.parse with 10,000 x509-svid entries', () => {
    const keys = certs.map((c) => ({ use: 'x509-svid', kty: 'EC', x5c: [c.toString('base64')] }));
    const json = JSON.stringify({ keys });
    let bundle: SpiffeBundle | undefined;
    const ms = elapsed(() => {
      bundle = SpiffeBundle.parse(td, json);
    });
    expect(bundle?.x509Authorities()).toHaveLength(10_000);
    expect(ms).toBeLessThan(8_000);
  });

  it('duplicates are still kept once, in first-seen order', () => {
    const [a, b] = certs as [Buffer, Buffer];
    const bundle = X509Bundle.fromDer(td, Buffer.concat([a, b, a, b, a]));
    expect(bundle.toDer()).toEqual(Buffer.concat([a, b]));
  });
});
