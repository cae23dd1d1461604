import {
  JwtSvidErrorCode as Code,
  JwtBundle,
  type JwtBundleSource,
  JwtSvid,
  TrustDomain,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { AT, claims, K1 } from './keys.js';
import { craft, outcome, segment } from './support.js';

const example = new JwtBundle(
  TrustDomain.fromString('example.org'),
  new Map([['k1', K1.publicKey]]),
);

/** A careless source that answers every trust domain with example.org's bundle. */
const answersEverything: JwtBundleSource = { getJwtBundleForTrustDomain: () => example };

describe('the bundle must belong to the trust domain of sub (JWT-SVID §6.2, Workload API §6.3)', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['sub in another trust domain', { alg: 'ES256', kid: 'k1' }, 'spiffe://evil.org/admin'],
    ['sub in another trust domain, no kid', { alg: 'ES256' }, 'spiffe://evil.org/admin'],
    [
      'sub in a trust domain that differs by a trailing dot',
      { alg: 'ES256', kid: 'k1' },
      'spiffe://example.org./x',
    ],
  ];

  it.each(cases)(
    '%s: a source answering with another bundle is ERR_JWTSVID_NO_BUNDLE',
    (_n, header, sub) => {
      const token = craft(header, claims({ sub }), K1.privateKey);
      expect(
        outcome(() => JwtSvid.parseAndValidate(token, answersEverything, ['svc-a'], { at: AT })),
      ).toBe(Code.NO_BUNDLE);
    },
  );

  it('the same source still validates a token of its own trust domain', () => {
    const token = craft({ alg: 'ES256', kid: 'k1' }, claims(), K1.privateKey);
    const svid = JwtSvid.parseAndValidate(token, answersEverything, ['svc-a'], { at: AT });
    expect(svid.id.toString()).toBe('spiffe://example.org/workload');
  });
});

describe('large claim sets parse without crashing (claims are deeply frozen iteratively)', () => {
  const many = 300_000;
  const bigObject: Record<string, number> = {};
  for (let i = 0; i < many; i++) bigObject[`c${i}`] = i;
  const cases: [string, Record<string, unknown>][] = [
    ['an array claim of 300k items', claims({ list: new Array(many).fill(0) })],
    ['300k claims', { ...claims(), ...bigObject }],
    ['an aud of 300k values', claims({ aud: [...new Array(many).fill('x'), 'svc-a'] })],
  ];

  it.each(cases)('%s: parseInsecure and parseAndValidate accept and freeze it', (_n, payload) => {
    const token = craft({ alg: 'ES256', kid: 'k1' }, payload, K1.privateKey);
    const insecure = JwtSvid.parseInsecure(token, ['svc-a'], { at: AT });
    const validated = JwtSvid.parseAndValidate(token, example, ['svc-a'], { at: AT });
    for (const svid of [insecure, validated]) {
      expect(Object.isFrozen(svid.claims)).toBe(true);
      expect(Object.keys(svid.claims).length).toBe(Object.keys(payload).length);
    }
  });
});

describe('header and payload must be UTF-8 JSON (RFC 7519 §7.2 step 7)', () => {
  // "svc-\xff": an invalid UTF-8 byte inside an aud string.
  const json = Buffer.concat([
    Buffer.from('{"sub":"spiffe://example.org/workload","exp":1893456300,"aud":"svc-'),
    Buffer.from([0xff]),
    Buffer.from('"}'),
  ]);
  const token = `${segment({ alg: 'ES256', kid: 'k1' })}.${json.toString('base64url')}.AAAA`;

  it('invalid UTF-8 in the payload is ERR_JWTSVID_MALFORMED, not a U+FFFD audience', () => {
    expect(outcome(() => JwtSvid.parseInsecure(token, ['svc-\ufffd'], { at: AT }))).toBe(
      Code.MALFORMED,
    );
  });

  it('invalid UTF-8 in the header is ERR_JWTSVID_MALFORMED', () => {
    const header = Buffer.from([0x7b, 0x22, 0x61, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString(
      'base64url',
    );
    const bad = `${header}.${segment(claims())}.AAAA`;
    expect(outcome(() => JwtSvid.parseInsecure(bad, ['svc-a'], { at: AT }))).toBe(Code.MALFORMED);
  });
});
