import { JwtSvid, JwtSvidError } from '@spire-ts/spiffe';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AT, AT_S, claims, K1, testBundles } from './keys.js';
import { craft } from './support.js';

const BUNDLES = testBundles();
const GOOD = craft({ alg: 'ES256', kid: 'k1', typ: 'JWT' }, claims(), K1.privateKey);

/** 'accepted', or the JwtSvidError code; anything else thrown fails the property. */
function run(token: string, audiences = ['svc-a']): string {
  try {
    JwtSvid.parseAndValidate(token, BUNDLES, audiences, { at: AT });
    return 'accepted';
  } catch (err) {
    if (!(err instanceof JwtSvidError)) throw err;
    return err.code;
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const charArb = fc.oneof(
  fc.constantFrom(...B64URL.split('')),
  fc.constantFrom('.', '=', '+', '/', ' ', '\n', '\u0000', 'é', '\uFFFF'),
);

describe('JwtSvid.parseAndValidate properties', () => {
  it('the genuine token is accepted (baseline for the mutations below)', () => {
    expect(run(GOOD)).toBe('accepted');
  });

  it('any character replaced, inserted or deleted anywhere is never accepted', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: GOOD.length - 1 }),
        charArb,
        fc.constantFrom('replace', 'insert', 'delete'),
        (at, ch, op) => {
          const cut = op === 'insert' ? at : at + 1;
          const mid = op === 'delete' ? '' : ch;
          const token = GOOD.slice(0, at) + mid + GOOD.slice(cut);
          fc.pre(token !== GOOD);
          expect(run(token)).not.toBe('accepted');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('any byte of the decoded header, payload or signature changed is never accepted', () => {
    const parts = GOOD.split('.').map((s) => Buffer.from(s, 'base64url'));
    fc.assert(
      fc.property(fc.nat({ max: 2 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (part, i, x) => {
        const bytes = Buffer.from(parts[part] as Buffer);
        const index = i % bytes.length;
        bytes[index] = (bytes[index] as number) ^ x;
        const segments = parts.map((p, n) => (n === part ? bytes : p).toString('base64url'));
        expect(run(segments.join('.'))).not.toBe('accepted');
      }),
      { numRuns: 2000 },
    );
  });

  it('arbitrary strings only ever fail with a JwtSvidError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (token) => {
        expect(run(token)).not.toBe('accepted');
      }),
      { numRuns: 2000 },
    );
  });

  it('three arbitrary base64url segments only ever fail with a JwtSvidError', () => {
    const seg = fc.string({ unit: fc.constantFrom(...B64URL.split('')), maxLength: 120 });
    fc.assert(
      fc.property(seg, seg, seg, (a, b, c) => {
        expect(run(`${a}.${b}.${c}`)).not.toBe('accepted');
      }),
      { numRuns: 2000 },
    );
  });

  it('genuinely signed arbitrary JSON headers and claims never throw anything but JwtSvidError', () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('spiffe://example.org/w', 'svc-a', AT_S + 100, AT_S - 100, ['svc-a']),
    );
    const claimsArb = fc.dictionary(fc.constantFrom('sub', 'aud', 'exp', 'nbf', 'iat', 'x'), value);
    const headerArb = fc.dictionary(fc.constantFrom('kid', 'typ', 'crit', 'jwk'), value);
    fc.assert(
      fc.property(headerArb, claimsArb, (header, body) => {
        const token = craft({ ...header, alg: 'ES256' }, body, K1.privateKey);
        const result = run(token);
        if (result === 'accepted') {
          const svid = JwtSvid.parseAndValidate(token, BUNDLES, ['svc-a'], { at: AT });
          expect(svid.audience).toContain('svc-a');
          expect(svid.expiresAt.getTime()).toBeGreaterThan(AT.getTime() - 30_000);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a genuine token with a claim nested a million levels deep is accepted and frozen', () => {
    const text = JSON.stringify(claims()).replace(
      '}',
      `,"deep":${'['.repeat(1e6)}${']'.repeat(1e6)}}`,
    );
    const token = craft({ alg: 'ES256', kid: 'k1' }, text, K1.privateKey);
    const svid = JwtSvid.parseAndValidate(token, BUNDLES, ['svc-a'], { at: AT });
    expect(Object.isFrozen(svid.claims.deep)).toBe(true);
  });

  it.each([
    ['16 MiB of one base64url character', 'a'.repeat(16 << 20)],
    ['a million dots', '.'.repeat(1 << 20)],
    [
      'a 4 MiB payload segment',
      `${GOOD.split('.')[0]}.${'A'.repeat(4 << 20)}.${GOOD.split('.')[2]}`,
    ],
    [
      'deeply nested JSON in the header',
      `${Buffer.from('['.repeat(100_000)).toString('base64url')}.e30.AA`,
    ],
  ])('%s fails fast with a JwtSvidError', (_name, token) => {
    const start = performance.now();
    expect(run(token)).toMatch(/^ERR_JWTSVID_/);
    expect(performance.now() - start).toBeLessThan(2_000);
  });
});
