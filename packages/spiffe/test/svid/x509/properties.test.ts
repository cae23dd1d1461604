import { TrustDomain, X509Bundle, X509Svid, X509SvidError } from '@spire-ts/spiffe';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCa, createIntermediate, createLeaf, type TestCert } from '../../support/certs.js';

const root = createCa({ commonName: 'Root CA' });
const inter = createIntermediate(root);
const good = createLeaf(inter);
const bundle = new X509Bundle(TrustDomain.fromString('example.org'), [root.cert]);
const AT = new Date();

/** A rule-breaking chain for each family of rejection: the leaf rules, the path rules, the signature. */
const rejected: [string, TestCert[]][] = [
  ['leaf with cA=true', [createLeaf(inter, { basicConstraints: { cA: true } }), inter]],
  [
    'leaf without digitalSignature',
    [createLeaf(inter, { keyUsage: { bits: ['keyAgreement'] } }), inter],
  ],
  [
    'intermediate without keyCertSign',
    (() => {
      const bad = createIntermediate(root, { keyUsage: { bits: ['digitalSignature'] } });
      return [createLeaf(bad), bad];
    })(),
  ],
  ['leaf signed by a stranger', [createLeaf(inter, { signWith: createCa().privateKey }), inter]],
];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'random'; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 600 }) }),
);

function mutate(input: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(input);
  switch (m.kind) {
    case 'flip': {
      const i = m.at % out.length;
      out[i] = (out[i] as number) ^ (1 << m.bit);
      return out;
    }
    case 'truncate':
      return out.subarray(0, m.at % out.length);
    case 'insert': {
      const i = m.at % (out.length + 1);
      return Buffer.concat([out.subarray(0, i), m.bytes, out.subarray(i)]);
    }
    case 'random':
      return Buffer.from(m.bytes);
  }
}

const der = (chain: TestCert[]) => Buffer.concat(chain.map((c) => c.der));
const pem = (chain: TestCert[]) => Buffer.from(chain.map((c) => c.pem).join(''));

/** Runs `fn`; it must return or throw an X509SvidError, nothing else. */
function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (!(err instanceof X509SvidError)) throw err;
    return { ok: false };
  }
}

const encodings: [string, (c: TestCert[]) => Buffer][] = [
  ['DER', der],
  ['PEM', pem],
];

describe('mutated certificate bytes (fast-check)', () => {
  const expectedChain = [good.der, inter.der, root.der].map((b) => b.toString('hex'));

  it.each(encodings)(
    'verify of a mutated valid %s chain throws only X509SvidError and accepts only the original certificates',
    (_n, encode) => {
      const input = encode([good, inter]);
      fc.assert(
        fc.property(mutation, (m) => {
          const result = outcome(() => X509Svid.verify(mutate(input, m), bundle, { at: AT }));
          if (result.ok) {
            expect(result.value.verifiedChain.map((c) => c.raw.toString('hex'))).toEqual(
              expectedChain,
            );
          }
        }),
        { numRuns: 400 },
      );
    },
  );

  it.each(encodings)(
    'parse of a mutated valid %s chain throws only X509SvidError and accepts only leaves that keep the rules',
    (_n, encode) => {
      const input = encode([good, inter]);
      fc.assert(
        fc.property(mutation, (m) => {
          const result = outcome(() => X509Svid.parse(mutate(input, m), good.privateKey));
          if (!result.ok) return;
          // parse does not verify signatures; what it accepts must still obey the leaf rules,
          // checked here through node's own view of the certificate.
          const leaf = result.value.certificates[0];
          expect(leaf?.ca).toBe(false);
          expect(leaf?.checkPrivateKey(good.privateKey)).toBe(true);
          expect(leaf?.subjectAltName?.match(/URI:/g)).toHaveLength(1);
          expect(result.value.id.path).not.toBe('');
        }),
        { numRuns: 300 },
      );
    },
  );

  for (const [name, chain] of rejected) {
    it.each(encodings)(`a mutated %s chain with ${name} is never accepted`, (_n, encode) => {
      const input = encode(chain);
      expect(outcome(() => X509Svid.verify(input, bundle, { at: AT })).ok).toBe(false);
      fc.assert(
        fc.property(mutation, (m) => {
          expect(outcome(() => X509Svid.verify(mutate(input, m), bundle, { at: AT })).ok).toBe(
            false,
          );
        }),
        { numRuns: 200 },
      );
    });
  }

  it('a mutated private key throws only X509SvidError and never pairs with the leaf unless unchanged', () => {
    const key = good.privateKey.export({ format: 'der', type: 'pkcs8' });
    fc.assert(
      fc.property(mutation, (m) => {
        const mutated = mutate(key, m);
        const result = outcome(() => X509Svid.parse(der([good, inter]), mutated));
        if (result.ok) expect(result.value.privateKey.equals(good.privateKey)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
