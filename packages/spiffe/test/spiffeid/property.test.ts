import { SpiffeId, SpiffeIdError, TrustDomain } from '@spire-ts/spiffe';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/**
 * An independent reference predicate written from the spec rules, sharing no code with the parser:
 * SPIFFE-ID §2 scheme (ASCII case-insensitive, Decision a), §2.1 trust domain charset (A-Z
 * accepted, Decision a), §2.2 path segments, §2.3 and Decision (d) lengths.
 */
function referenceAccepts(s: string): boolean {
  const m = /^[sS][pP][iI][fF][fF][eE]:\/\/([a-zA-Z0-9._-]+)((?:\/[a-zA-Z0-9._-]+)*)$/.exec(s);
  if (m === null) {
    return false;
  }
  const [, td = '', path = ''] = m;
  const dotSegment = path.split('/').some((seg) => seg === '.' || seg === '..');
  return !dotSegment && td.length <= 255 && new TextEncoder().encode(s).length <= 2048;
}

const TD_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789.-_';
const PATH_CHARS = `${TD_CHARS}ABCDEFGHIJKLMNOPQRSTUVWXYZ`;
/** Characters that tend to break SPIFFE ID parsers. */
const NASTY = [
  '/',
  '.',
  '..',
  '%',
  '%2e',
  '%2F',
  ':',
  '@',
  '?',
  '#',
  '[',
  ']',
  ' ',
  '\0',
  '\n',
  '\\',
  'A',
  'Z',
  '~',
  '\u017f',
  '\u212a',
  '\uff0f',
  '\u00e4',
  '\ud83e\udd2f',
  'spiffe://',
  '//',
];

const tdArb = fc.string({
  unit: fc.constantFrom(...TD_CHARS.split('')),
  minLength: 1,
  maxLength: 30,
});
const segmentArb = fc
  .string({ unit: fc.constantFrom(...PATH_CHARS.split('')), minLength: 1, maxLength: 12 })
  .filter((seg) => seg !== '.' && seg !== '..');
const validIdArb = fc
  .tuple(tdArb, fc.array(segmentArb, { maxLength: 6 }))
  .map(([td, segs]) => `spiffe://${td}${segs.map((s) => `/${s}`).join('')}`);

/** A valid ID with a few insertions, deletions, replacements, or ASCII case flips. */
const mutatedIdArb = fc
  .tuple(
    validIdArb,
    fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...NASTY)), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([s, edits]) =>
    edits.reduce((acc, [pos, kind, text]) => {
      const i = acc.length === 0 ? 0 : pos % acc.length;
      const ch = acc[i] ?? '';
      switch (kind) {
        case 0:
          return acc.slice(0, i) + text + acc.slice(i);
        case 1:
          return acc.slice(0, i) + acc.slice(i + 1);
        case 2:
          return acc.slice(0, i) + text + acc.slice(i + 1);
        default:
          return (
            acc.slice(0, i) +
            (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()) +
            acc.slice(i + 1)
          );
      }
    }, s),
  );

function parseOrError(s: string): SpiffeId | SpiffeIdError {
  try {
    return SpiffeId.fromString(s);
  } catch (err) {
    if (err instanceof SpiffeIdError) {
      return err;
    }
    throw err;
  }
}

const RUNS = { numRuns: 3000 };

describe('SpiffeId property tests', () => {
  it('never throws anything but SpiffeIdError on random strings (any Unicode)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 80 })),
        (s) => {
          parseOrError(s);
          try {
            TrustDomain.fromString(s);
          } catch (err) {
            expect(err).toBeInstanceOf(SpiffeIdError);
          }
        },
      ),
      RUNS,
    );
  });

  it('round-trips generated valid IDs through toString, fromPath and fromSegments', () => {
    fc.assert(
      fc.property(validIdArb, (s) => {
        const id = SpiffeId.fromString(s);
        expect(id.toString()).toBe(s);
        expect(SpiffeId.fromString(id.toString()).equals(id)).toBe(true);
        expect(SpiffeId.fromPath(id.trustDomain, id.path).equals(id)).toBe(true);
        const segs = id.path === '' ? [] : id.path.slice(1).split('/');
        expect(SpiffeId.fromSegments(id.trustDomain.name, ...segs).equals(id)).toBe(true);
      }),
      RUNS,
    );
  });

  it('agrees with the reference predicate on mutated IDs (nothing the rules reject is accepted)', () => {
    fc.assert(
      fc.property(mutatedIdArb, (s) => {
        const result = parseOrError(s);
        expect(result instanceof SpiffeId, s).toBe(referenceAccepts(s));
        if (result instanceof SpiffeId) {
          // Canonical form: scheme and trust domain folded, the path byte-identical.
          const sep = s.indexOf('/', 9);
          const path = sep === -1 ? '' : s.slice(sep);
          expect(result.path).toBe(path);
          expect(result.toString()).toBe(`spiffe://${result.trustDomain.name}${path}`);
          expect(result.trustDomain.name).toBe(
            s.slice(9, sep === -1 ? undefined : sep).toLowerCase(),
          );
        }
      }),
      RUNS,
    );
  });

  it('agrees with the reference predicate on long generated IDs around the 2048-byte limit', () => {
    const longIdArb = fc
      .tuple(
        tdArb,
        fc.array(
          fc.string({ unit: fc.constantFrom('a', 'B', '.'), minLength: 1, maxLength: 400 }),
          { minLength: 4, maxLength: 8 },
        ),
      )
      .map(([td, segs]) => `spiffe://${td}/${segs.join('/')}`);
    fc.assert(
      fc.property(longIdArb, (s) => {
        expect(parseOrError(s) instanceof SpiffeId, s).toBe(referenceAccepts(s));
      }),
      { numRuns: 500 },
    );
  });
});
