import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  BundleError,
  JwtBundle,
  marshalBundleMap,
  parseBundleMap,
  SpiffeBundle,
  TrustDomain,
  X509Bundle,
} from '@spire-ts/spiffe';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readVectorJson } from '../../../../test/support/vectors.js';
import { CA1, CA2, fixtureBundleText } from './support.js';

const TD = TrustDomain.fromString('example.org');
const KEYS: KeyObject[] = [
  ...Array.from({ length: 3 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey),
  generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
  generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
  generateKeyPairSync('ed25519').publicKey,
];
const FIXTURES = readVectorJson<{ cases: { id: string; kind: string }[] }>('fixtures/manifest.json')
  .cases.filter((c) => c.kind === 'bundle')
  .map((c) => fixtureBundleText(c.id));

const PARSERS: [string, (input: string | Uint8Array) => unknown][] = [
  ['SpiffeBundle.parse', (input) => SpiffeBundle.parse(TD, input)],
  ['JwtBundle.parse', (input) => JwtBundle.parse(TD, input)],
  ['parseBundleMap', (input) => parseBundleMap(input)],
  ['X509Bundle.fromPem', (input) => X509Bundle.fromPem(TD, input)],
  ['X509Bundle.fromDer', (input) => X509Bundle.fromDer(TD, Buffer.from(input))],
];

/** Runs every parser on `input`; anything thrown that is not a BundleError fails the property. */
function onlyBundleErrors(input: string | Uint8Array): void {
  for (const [name, parse] of PARSERS) {
    try {
      parse(input);
    } catch (err) {
      if (!(err instanceof BundleError)) {
        throw new Error(
          `${name} threw ${String(err)} for ${JSON.stringify(String(input).slice(0, 200))}`,
        );
      }
    }
  }
}

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.string({ maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('token' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '-',
      '1e999',
      '"use":"x509-svid",',
      '"kid":"k1",',
      '"keys":',
      'null',
    ),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 200 }),
  }),
);

type Mutation = { kind: string; at: number; length?: number; text?: string };

function mutate(text: string, m: Mutation): string {
  const at = m.at % (text.length + 1);
  if (m.kind === 'delete') return text.slice(0, at) + text.slice(at + (m.length ?? 1));
  if (m.kind === 'repeat')
    return text.slice(0, at) + text.slice(at, at + (m.length ?? 1)) + text.slice(at);
  return text.slice(0, at) + (m.text ?? '') + text.slice(at);
}

const x5cEntry = fc.constantFrom(CA1, CA2).map((c) => ({
  ...c.publicKey.export({ format: 'jwk' }),
  use: 'x509-svid',
  x5c: [c.raw.toString('base64')],
}));
const jwtEntry = fc
  .record({ key: fc.constantFrom(...KEYS), kid: fc.string({ maxLength: 6 }) })
  .map(({ key, kid }) => ({ ...key.export({ format: 'jwk' }), use: 'jwt-svid', kid }));
const anyMember = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
);

function withBigInts(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `@@${v}@@` : v));
  return text.replace(/"@@(-?[0-9]+)@@"/g, '$1');
}

describe('bundle parsers under random and mutated input', () => {
  it('throw nothing but BundleError on random text and bytes', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), onlyBundleErrors), { numRuns: 500 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), onlyBundleErrors), { numRuns: 500 });
  });

  it('throw nothing but BundleError on mutated fixture documents', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (text, ms) => {
          onlyBundleErrors(ms.reduce((t, m) => mutate(t, m), text));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('throw nothing but BundleError on well-formed JSON with wrong member types', () => {
    const entry = fc.oneof(
      x5cEntry,
      jwtEntry,
      fc.jsonValue({ maxDepth: 2 }),
      fc.dictionary(
        fc.constantFrom('kty', 'use', 'kid', 'x5c', 'x', 'y', 'crv', 'n', 'e', 'd'),
        anyMember,
      ),
    );
    const doc = fc.record(
      {
        keys: fc.oneof(fc.array(entry, { maxLength: 5 }), anyMember),
        spiffe_sequence: anyMember,
        spiffe_refresh_hint: anyMember,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(doc, (d) => {
        const text = withBigInts(d);
        onlyBundleErrors(text);
        onlyBundleErrors(`{"trust_domains":{"example.org":${text}}}`);
      }),
      { numRuns: 500 },
    );
  });

  const hostile: [string, string][] = [
    ['deep array nesting', '['.repeat(200_000)],
    ['deep object nesting', '{"a":'.repeat(200_000)],
    ['deep nesting inside keys', `{"keys":[${'['.repeat(200_000)}`],
    ['a million-digit sequence', `{"keys":[],"spiffe_sequence":${'9'.repeat(1_000_000)}}`],
    ['a million-digit refresh hint', `{"keys":[],"spiffe_refresh_hint":-${'9'.repeat(1_000_000)}}`],
    ['a huge exponent', '{"keys":[],"spiffe_sequence":1e99999999}'],
    ['a long string of escapes', `{"keys":[],"x":"${'\\u0041'.repeat(200_000)}"}`],
  ];
  it.each(hostile)('stay fast and throw nothing but BundleError on %s', (_name, text) => {
    const started = performance.now();
    onlyBundleErrors(text);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('marshal is stable', () => {
  const bundle = fc
    .record({
      certs: fc.subarray([CA1, CA2]),
      keys: fc.uniqueArray(
        fc.record({
          kid: fc.string({ minLength: 1, maxLength: 8 }),
          key: fc.constantFrom(...KEYS),
        }),
        { selector: (k) => k.kid, maxLength: 4 },
      ),
      sequence: fc.option(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { nil: undefined }),
      hint: fc.option(fc.maxSafeInteger(), { nil: undefined }),
    })
    .map(
      ({ certs, keys, sequence, hint }) =>
        new SpiffeBundle(TD, {
          x509Authorities: certs,
          jwtAuthorities: new Map(keys.map((k) => [k.kid, k.key])),
          sequenceNumber: sequence,
          refreshHintSeconds: hint,
        }),
    );

  it('parse(marshal(b)) equals b and marshals to the same text', () => {
    fc.assert(
      fc.property(bundle, fc.constantFrom(undefined, 2), (b, indent) => {
        const text = b.marshal(indent);
        const back = SpiffeBundle.parse(TD, text);
        expect(back.equals(b)).toBe(true);
        expect(back.marshal(indent)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('marshal(parse(x)) is a fixed point for every fixture that parses', () => {
    let parsed = 0;
    for (const text of FIXTURES) {
      let once: string;
      try {
        once = SpiffeBundle.parse(TD, text).marshal();
      } catch (err) {
        if (err instanceof BundleError) continue;
        throw err;
      }
      parsed += 1;
      expect(SpiffeBundle.parse(TD, once).marshal()).toBe(once);
    }
    // 21 fixtures less 5 rejected bundles and 3 bundle maps (no `keys` at the top).
    expect(parsed).toBe(13);
  });

  it('bundle maps round-trip through marshalBundleMap', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom('a.org', 'b.org', 'c.org', 'd.org'), { maxLength: 4 }),
        bundle,
        (names, b) => {
          const bundles = names.map(
            (n) =>
              new SpiffeBundle(TrustDomain.fromString(n), {
                x509Authorities: b.x509Authorities(),
                jwtAuthorities: b.jwtAuthorities(),
                sequenceNumber: b.sequenceNumber,
              }),
          );
          const text = marshalBundleMap(bundles);
          expect(marshalBundleMap(parseBundleMap(text))).toBe(text);
        },
      ),
      { numRuns: 100 },
    );
  });
});
