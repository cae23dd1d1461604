import { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { caught } from './support.js';

describe('SPIFFE ID bug cases (bug-cases.md)', () => {
  it('C01: a percent-encoded path is rejected, never decoded into /admin (SPIFFE-ID §2.2)', () => {
    expect(caught(() => SpiffeId.fromString('spiffe://example.org/%61dmin')).code).toBe(
      'ERR_SPIFFEID_BAD_PATH_CHAR',
    );
    expect(caught(() => SpiffeId.fromString('spiffe://example.org/a/../admin')).code).toBe(
      'ERR_SPIFFEID_DOT_SEGMENT',
    );
  });

  it('C02: mixed-case scheme and trust domain fold to ASCII lower case, path keeps its case (SPIFFE-ID §2.4, Decision a)', () => {
    const id = SpiffeId.fromString('SPIFFE://EXAMPLE.ORG/MyService');
    expect(id.toString()).toBe('spiffe://example.org/MyService');
    expect(id.equals(SpiffeId.fromString('spiffe://example.org/MyService'))).toBe(true);
    expect(id.equals(SpiffeId.fromString('spiffe://example.org/myservice'))).toBe(false);
    expect(SpiffeId.fromString('Spiffe://example.org/x').toString()).toBe('spiffe://example.org/x');
    expect(SpiffeId.fromString('spiffe://Example.org/x').toString()).toBe('spiffe://example.org/x');
  });

  it('C02: Unicode letters that fold to ASCII (U+017F, U+212A) stay invalid', () => {
    expect(caught(() => SpiffeId.fromString('\u017fpiffe://example.org/x')).code).toBe(
      'ERR_SPIFFEID_WRONG_SCHEME',
    );
    expect(caught(() => SpiffeId.fromString('spiffe://\u212aafka.org/x')).code).toBe(
      'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR',
    );
    expect(caught(() => TrustDomain.fromString('\u212aafka.org')).code).toBe(
      'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR',
    );
  });

  it.each([
    'example..org',
    '.example.org',
    'example.org.',
    '-example.org',
    'example-.org',
    '_dmarc.example.org',
    '1.2.3.4',
  ])(
    'C03: trust domain %s is checked by charset only, not as a DNS name (SPIFFE-ID §2.1)',
    (td) => {
      expect(TrustDomain.fromString(td).name).toBe(td);
      expect(SpiffeId.fromString(`spiffe://${td}/path`).trustDomain.name).toBe(td);
    },
  );

  it.each(['[::1]', 'example.org:8080', 'user@example.org'])(
    'C03: trust domain %s is rejected (SPIFFE-ID §2.1)',
    (td) => {
      expect(caught(() => TrustDomain.fromString(td)).code).toBe(
        'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR',
      );
    },
  );

  it.each([
    ['spiffe://example.org//workload', 'ERR_SPIFFEID_EMPTY_SEGMENT'],
    ['spiffe://example.org/workload/', 'ERR_SPIFFEID_TRAILING_SLASH'],
    ['spiffe://example.org/my!workload', 'ERR_SPIFFEID_BAD_PATH_CHAR'],
    ['spiffe://example.org/%77orkload', 'ERR_SPIFFEID_BAD_PATH_CHAR'],
    [`spiffe://${'a'.repeat(300)}/workload`, 'ERR_SPIFFEID_TRUST_DOMAIN_TOO_LONG'],
  ])(
    'C04: lenient-validator input %s is rejected with %s (SPIFFE-ID §2.2, §2.3)',
    (input, code) => {
      expect(caught(() => SpiffeId.fromString(input)).code).toBe(code);
    },
  );

  it('C05: a configured trust domain may be a bare name or an ID, never double-prefixed', () => {
    expect(TrustDomain.fromString('example.com').name).toBe('example.com');
    expect(TrustDomain.fromString('spiffe://example.com').name).toBe('example.com');
    expect(caught(() => TrustDomain.fromString('spiffe://spiffe://example.com')).code).toBe(
      'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR',
    );
  });
});
