import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { JwtBundle, JwtSvid, TrustDomain } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { readVectorJson } from '../../../../../test/support/vectors.js';
import { AT, AT_S, ATTACKER, K1, K2, R1 } from './keys.js';
import { bundleSource, craft, outcome, REASON_CODES, segment } from './support.js';

/**
 * The 42 jwtsvid.json cases rebuilt from their descriptions with key material generated here, a
 * second derivation beside the committed fixtures (vectors.test.ts).
 */
interface DescribedCase {
  id: string;
  description: string;
  header: Record<string, unknown> | string;
  claims: Record<string, unknown> | string | null;
  expected_audience: string[];
  signed_with: string;
  bundles?: Record<string, unknown[]>;
  result: string;
  reason: string | null;
}

const ED25519 = generateKeyPairSync('ed25519');
/** JWT-42: T0 is 400 s before the validation instant. */
const T0 = AT_S - 400;

function time(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && 'json_string' in value) {
    return (value as { json_string: string }).json_string;
  }
  const m = typeof value === 'string' ? /^(now|T0)([+-]\d+)?$/.exec(value) : null;
  if (m === null) return value;
  return (m[1] === 'T0' ? T0 : AT_S) + Number(m[2] ?? 0);
}

function resolveClaims(claims: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, time(v)]));
}

function signWith(signer: string, input: string): string {
  const data = Buffer.from(input);
  if (signer === 'none') return '';
  if (signer === 'HMAC secret') {
    const secret = K1.publicKey.export({ type: 'spki', format: 'pem' });
    return createHmac('sha256', secret).update(data).digest('base64url');
  }
  if (signer === 'Ed25519 key') return sign(null, data, ED25519.privateKey).toString('base64url');
  const key = { K1: K1, 'K1 (EC)': K1, K2: K2, 'attacker key': ATTACKER }[signer];
  if (key === undefined) throw new Error(`unknown signer ${signer}`);
  return sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString(
    'base64url',
  );
}

function buildToken(c: DescribedCase): string {
  if (c.id === 'JWT-02') return 'invalid token';
  const header = { ...(c.header as Record<string, unknown>) };
  if ('jwk' in header) header.jwk = ATTACKER.publicKey.export({ format: 'jwk' });
  const defaults = { sub: 'spiffe://example.org/workload', aud: ['svc-a'], exp: AT_S + 300 };
  if (c.id === 'JWT-03') {
    const signed = craft(header, defaults, K1.privateKey, 'ES256').split('.');
    return JSON.stringify({
      payload: signed[1],
      signatures: [{ protected: signed[0], signature: signed[2] }],
    });
  }
  const payload =
    typeof c.claims === 'string'
      ? Buffer.from('hello').toString('base64url')
      : segment(resolveClaims(c.claims ?? {}));
  if (c.id === 'JWT-33') {
    // Signed over the default claims, then the payload segment is swapped for the case's claims.
    const signed = `${segment(header)}.${segment(defaults)}`;
    return `${segment(header)}.${payload}.${signWith(c.signed_with, signed)}`;
  }
  const input = `${segment(header)}.${payload}`;
  return `${input}.${signWith(c.signed_with, input)}`;
}

const NAMED_KEYS: Record<string, KeyObject> = {
  'K1 as kid k1': K1.publicKey,
  'K2 as kid k1': K2.publicKey,
};

function buildBundles(c: DescribedCase) {
  const spec = c.bundles ?? { 'example.org': ['K1 as kid k1'], 'other.org': ['K2 as kid k2'] };
  const bundles = Object.entries(spec).map(([name, entries]) => {
    const keys = new Map<string, KeyObject>();
    for (const entry of entries) {
      if (typeof entry === 'object')
        keys.set('k1', R1.publicKey); // JWT-09: an RSA key as k1
      else keys.set(String(entry).slice(-2), NAMED_KEYS[String(entry)] ?? K2.publicKey);
    }
    return new JwtBundle(TrustDomain.fromString(name), keys);
  });
  return bundleSource(bundles);
}

const CHOSEN: Readonly<Record<string, string>> = {
  'JWT-20': 'ERR_JWTSVID_NO_EXPECTED_AUDIENCE',
  'JWT-39': 'ERR_JWTSVID_BAD_TYP',
};

const cases = readVectorJson<{ cases: DescribedCase[] }>('jwtsvid.json').cases;

describe('jwtsvid.json cases rebuilt from their descriptions', () => {
  it.each(cases.map((c) => [`${c.id} ${c.description}`, c] as const))('%s', (_name, c) => {
    const expected =
      CHOSEN[c.id] ?? (c.result === 'accept' ? 'accepted' : REASON_CODES[c.reason ?? '']);
    const result = outcome(() =>
      JwtSvid.parseAndValidate(buildToken(c), buildBundles(c), c.expected_audience, { at: AT }),
    );
    expect(result).toBe(expected);
  });
});
