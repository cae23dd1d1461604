import { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { readVectorJson } from '../../../../test/support/vectors.js';
import { caught } from './support.js';

const { charset } = readVectorJson<{
  charset: { trust_domain: string; path_segment: string };
}>('spiffeid.json');
const { allowed_chars: tdAllowed } = readVectorJson<{ allowed_chars: string }>('trustdomain.json');

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const codePoints = Array.from({ length: 256 }, (_, c) => c);

function hex(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

describe('exhaustive character rule over code points 0-255', () => {
  it.each(codePoints.filter((c) => c !== 0x2f).map((c) => [hex(c), c]))(
    'SPIFFE-ID §2.1 + Decision (a): trust domain character %s',
    (_, c) => {
      const ch = String.fromCharCode(c);
      const input = `spiffe://trustdomain${ch}/path`;
      if (charset.trust_domain.includes(ch) || UPPER.includes(ch)) {
        expect(SpiffeId.fromString(input).toString()).toBe(
          `spiffe://trustdomain${ch.toLowerCase()}/path`,
        );
      } else {
        expect(caught(() => SpiffeId.fromString(input)).code).toBe(
          'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR',
        );
      }
    },
  );

  it.each(codePoints.filter((c) => c !== 0x2f).map((c) => [hex(c), c]))(
    'SPIFFE-ID §2.2: path character %s',
    (_, c) => {
      const ch = String.fromCharCode(c);
      const input = `spiffe://trustdomain/path${ch}`;
      if (charset.path_segment.includes(ch)) {
        expect(SpiffeId.fromString(input).path).toBe(`/path${ch}`);
      } else {
        expect(caught(() => SpiffeId.fromString(input)).code).toBe('ERR_SPIFFEID_BAD_PATH_CHAR');
      }
    },
  );

  it.each(codePoints.map((c) => [hex(c), c]))(
    'SPIFFE-ID §2.1 + Decision (a): bare trust domain and trust-domain-only ID with %s',
    (_, c) => {
      const ch = String.fromCharCode(c);
      const ok = tdAllowed.includes(ch) || UPPER.includes(ch);
      for (const input of [`trustdomain${ch}`, `spiffe://trustdomain${ch}`]) {
        if (ok) {
          expect(TrustDomain.fromString(input).name).toBe(`trustdomain${ch.toLowerCase()}`);
        } else {
          const expected =
            ch === '/' && input.startsWith('spiffe:')
              ? 'ERR_SPIFFEID_TRAILING_SLASH'
              : 'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR';
          expect(caught(() => TrustDomain.fromString(input)).code).toBe(expected);
        }
      }
    },
  );

  it('SPIFFE-ID §2.1: code points 0x80-0xFF as UTF-8 never pass, in the trust domain or the path', () => {
    for (let c = 0x80; c <= 0xff; c++) {
      const ch = String.fromCharCode(c);
      expect(caught(() => SpiffeId.fromString(`spiffe://t${ch}/p`)).code).toBe(
        'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR',
      );
      expect(caught(() => SpiffeId.fromString(`spiffe://t/p${ch}`)).code).toBe(
        'ERR_SPIFFEID_BAD_PATH_CHAR',
      );
    }
  });
});
