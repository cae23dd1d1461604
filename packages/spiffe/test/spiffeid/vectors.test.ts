import { SpiffeId, SpiffeIdError, SpiffeIdErrorCode, TrustDomain } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { readVectorJson } from '../../../../test/support/vectors.js';
import { caught, codeFor, label } from './support.js';

interface IdVectors {
  reason_codes: Record<string, string>;
  valid: string[];
  components: Record<string, { trust_domain: string; path: string }>;
  invalid: { input: string; reason: string; spec?: string; note?: string }[];
  implementation_defined: {
    input: string;
    decision: {
      rule: string;
      expected:
        | { result: 'accept'; id: string; trust_domain: string; path: string }
        | { result: 'reject'; reason: string };
    };
  }[];
  equivalence: { a: string; b: string; equal: boolean }[];
}

interface TdVectors {
  valid: string[];
  valid_from_id: { input: string; trust_domain: string }[];
  invalid: { input: string; reason: string; spec?: string; note?: string }[];
  implementation_defined: {
    input: string;
    decision: { expected: { result: 'accept'; trust_domain: string } };
  }[];
}

const ids = readVectorJson<IdVectors>('spiffeid.json');
const tds = readVectorJson<TdVectors>('trustdomain.json');

describe('spiffeid.json vectors', () => {
  it('maps every vector reason code to one of our documented error codes', () => {
    const documented = new Set<string>(Object.values(SpiffeIdErrorCode));
    const missing = Object.keys(ids.reason_codes).filter((r) => !documented.has(codeFor(r)));
    expect(missing).toEqual([]);
  });

  it.each(ids.valid.map((s) => [label(s), s]))(
    'accepts valid ID %s with its components',
    (_, s) => {
      const expected = ids.components[s];
      expect(expected).toBeDefined();
      const id = SpiffeId.fromString(s);
      expect(id.trustDomain.name).toBe(expected?.trust_domain);
      expect(id.path).toBe(expected?.path);
      expect(id.toString()).toBe(s);
    },
  );

  it.each(ids.invalid.map((c) => [label(c.input), c.reason, c]))(
    'rejects invalid ID %s as %s',
    (_, reason, c) => {
      expect(caught(() => SpiffeId.fromString(c.input)).code).toBe(codeFor(reason));
    },
  );

  it.each(ids.implementation_defined.map((c) => [label(c.input), c]))(
    'follows Decision (a) for implementation-defined ID %s',
    (_, c) => {
      const expected = c.decision.expected;
      if (expected.result === 'accept') {
        const id = SpiffeId.fromString(c.input);
        expect(id.toString()).toBe(expected.id);
        expect(id.trustDomain.name).toBe(expected.trust_domain);
        expect(id.path).toBe(expected.path);
      } else {
        expect(caught(() => SpiffeId.fromString(c.input)).code).toBe(codeFor(expected.reason));
      }
    },
  );

  it.each(ids.equivalence.map((c) => [c.a, c.b, c.equal]))(
    'compares %s and %s as equal=%s',
    (a, b, equal) => {
      const idA = SpiffeId.fromString(a);
      let idB: SpiffeId | undefined;
      try {
        idB = SpiffeId.fromString(b);
      } catch (err) {
        // An invalid `b` can never equal a valid `a`.
        expect(err).toBeInstanceOf(SpiffeIdError);
        expect(equal).toBe(false);
        return;
      }
      expect(idA.equals(idB)).toBe(equal);
      expect(idB.equals(idA)).toBe(equal);
    },
  );
});

describe('trustdomain.json vectors', () => {
  it.each(tds.valid.map((s) => [label(s), s]))('accepts bare trust domain %s', (_, s) => {
    const td = TrustDomain.fromString(s);
    expect(td.name).toBe(s);
    expect(td.toString()).toBe(s);
    expect(td.idString()).toBe(`spiffe://${s}`);
    expect(td.id().toString()).toBe(`spiffe://${s}`);
    expect(td.id().path).toBe('');
  });

  it.each(tds.valid_from_id.map((c) => [c.input, c.trust_domain]))(
    'derives trust domain from ID %s as %s',
    (input, name) => {
      expect(TrustDomain.fromString(input).name).toBe(name);
    },
  );

  it.each(tds.invalid.map((c) => [label(c.input), c.reason, c.input]))(
    'rejects trust domain %s as %s',
    (_, reason, input) => {
      expect(caught(() => TrustDomain.fromString(input)).code).toBe(codeFor(reason));
    },
  );

  it.each(tds.implementation_defined.map((c) => [c.input, c.decision.expected.trust_domain]))(
    'folds implementation-defined trust domain %s to %s (Decision a)',
    (input, name) => {
      expect(TrustDomain.fromString(input).name).toBe(name);
    },
  );
});
