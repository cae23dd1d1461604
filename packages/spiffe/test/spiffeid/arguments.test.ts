import {
  SpiffeIdErrorCode as Code,
  type Matcher,
  matchId,
  matchMemberOf,
  matchOneOf,
  SpiffeId,
  TrustDomain,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';

const web = SpiffeId.fromString('spiffe://example.org/web');
const db = SpiffeId.fromString('spiffe://example.org/db');
const other = SpiffeId.fromString('spiffe://other.org/web');

/** 'ok' when the matcher accepts `id`, else the error code. */
function verdict(matcher: Matcher, id: SpiffeId): string {
  try {
    matcher(id);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('matchers take names as well as parsed values, in canonical form (Decision a)', () => {
  const cases: [string, () => Matcher, SpiffeId, string][] = [
    ['matchId with a string accepts that ID', () => matchId('spiffe://example.org/web'), web, 'ok'],
    [
      'matchId with a string rejects another',
      () => matchId('spiffe://example.org/web'),
      db,
      Code.Unexpected,
    ],
    [
      'matchId folds the scheme and trust domain',
      () => matchId('SPIFFE://Example.ORG/web'),
      web,
      'ok',
    ],
    [
      'matchId keeps the path case-sensitive',
      () => matchId('spiffe://example.org/Web'),
      web,
      Code.Unexpected,
    ],
    [
      'matchOneOf with strings',
      () => matchOneOf('spiffe://example.org/db', 'spiffe://example.org/web'),
      web,
      'ok',
    ],
    ['matchOneOf folds case', () => matchOneOf('spiffe://EXAMPLE.org/web'), web, 'ok'],
    ['matchOneOf mixes forms', () => matchOneOf(db, 'spiffe://example.org/web'), web, 'ok'],
    ['matchMemberOf with a name accepts a member', () => matchMemberOf('example.org'), web, 'ok'],
    [
      'matchMemberOf with a name rejects another trust domain',
      () => matchMemberOf('example.org'),
      other,
      Code.Unexpected,
    ],
    [
      'matchMemberOf with a trust domain ID',
      () => matchMemberOf('spiffe://example.org'),
      web,
      'ok',
    ],
    [
      'matchMemberOf with a TrustDomain',
      () => matchMemberOf(TrustDomain.fromString('example.org')),
      web,
      'ok',
    ],
  ];

  it.each(cases)('%s', (_name, make, id, expected) => {
    expect(verdict(make(), id)).toBe(expected);
  });

  it.each([
    ['matchId', () => matchId('spiffe://example.org/web/')],
    ['matchOneOf', () => matchOneOf('spiffe://example.org/a b')],
    ['matchMemberOf', () => matchMemberOf('exa mple.org')],
  ])('%s with an invalid string fails when built, not silently on every call', (_n, make) => {
    expect(make).toThrow(expect.objectContaining({ name: 'SpiffeIdError' }));
  });

  it.each([
    ['matchId', () => matchId(42 as unknown as string)],
    ['matchOneOf', () => matchOneOf(null as unknown as string)],
    ['matchMemberOf', () => matchMemberOf({} as unknown as string)],
  ])('%s with a non-string, non-parsed value is a TypeError', (_n, make) => {
    expect(make).toThrow(TypeError);
  });
});

describe('argument errors say what was wrong', () => {
  it('fromSegments with an undefined segment names the segment, not a property read', () => {
    expect(() => SpiffeId.fromSegments('example.org', undefined as unknown as string)).toThrow(
      new TypeError('path segment must be a string, got undefined'),
    );
  });

  it.each([
    ['U+212A KELVIN SIGN in a trust domain', 'spiffe://exa\u212aple.org/a', 'U+212A'],
    ['U+017F LATIN SMALL LETTER LONG S in a path', 'spiffe://example.org/\u017fa', 'U+017F'],
    ['NUL in a path', 'spiffe://example.org/a\u0000', 'U+0000'],
  ])('a look-alike or invisible character is shown by its code point (%s)', (_n, input, cp) => {
    expect(() => SpiffeId.fromString(input)).toThrow(cp);
  });
});
