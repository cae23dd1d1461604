import { readFileSync } from 'node:fs';
import {
  MAX_ID_BYTES,
  matchAny,
  matchId,
  matchMemberOf,
  matchOneOf,
  SpiffeId,
  SpiffeIdError,
  SpiffeIdErrorCode,
  TrustDomain,
  WorkloadEndpointErrorCode,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { caught } from './support.js';

const TD = TrustDomain.fromString('example.org');
/** Path that makes `spiffe://example.org<path>` exactly `n` bytes long. */
const pathOfLength = (n: number) => `/${'p'.repeat(n - 'spiffe://example.org/'.length)}`;

describe('SpiffeId.fromSegments', () => {
  it.each([
    ['no segments', [], 'spiffe://example.org'],
    ['one segment', ['web'], 'spiffe://example.org/web'],
    [
      'several segments, case kept',
      ['ns', 'Prod', 'sa', 'web'],
      'spiffe://example.org/ns/Prod/sa/web',
    ],
    ['dot-prefixed segment', ['.hidden'], 'spiffe://example.org/.hidden'],
  ])('builds %s', (_, segments, expected) => {
    expect(SpiffeId.fromSegments(TD, ...segments).toString()).toBe(expected);
    expect(SpiffeId.fromSegments('EXAMPLE.org', ...segments).toString()).toBe(expected);
  });

  it.each([
    ['an empty segment', ['a', ''], 'ERR_SPIFFEID_EMPTY_SEGMENT'],
    ['a dot segment', ['.'], 'ERR_SPIFFEID_DOT_SEGMENT'],
    ['a dot-dot segment', ['a', '..'], 'ERR_SPIFFEID_DOT_SEGMENT'],
    ['a slash inside a segment', ['a/b'], 'ERR_SPIFFEID_BAD_PATH_CHAR'],
    ['a percent sign', ['%61'], 'ERR_SPIFFEID_BAD_PATH_CHAR'],
  ])('SPIFFE-ID §2.2: rejects %s', (_, segments, code) => {
    expect(caught(() => SpiffeId.fromSegments(TD, ...segments)).code).toBe(code);
  });

  it('rejects a bad trust domain string', () => {
    expect(caught(() => SpiffeId.fromSegments('bad domain', 'a')).code).toBe(
      'ERR_SPIFFEID_BAD_TRUST_DOMAIN_CHAR',
    );
  });
});

describe('SpiffeId.fromPath', () => {
  it.each([
    ['', 'spiffe://example.org'],
    ['/a/b', 'spiffe://example.org/a/b'],
    ['/A', 'spiffe://example.org/A'],
  ])('builds from path %j', (path, expected) => {
    const id = SpiffeId.fromPath(TD, path);
    expect(id.toString()).toBe(expected);
    expect(id.path).toBe(path);
  });

  it.each([
    ['a/b', 'ERR_SPIFFEID_NO_LEADING_SLASH'],
    ['/', 'ERR_SPIFFEID_TRAILING_SLASH'],
    ['/a/', 'ERR_SPIFFEID_TRAILING_SLASH'],
    ['//a', 'ERR_SPIFFEID_EMPTY_SEGMENT'],
    ['/a/./b', 'ERR_SPIFFEID_DOT_SEGMENT'],
    ['/a?b', 'ERR_SPIFFEID_BAD_PATH_CHAR'],
  ])('SPIFFE-ID §2.2: rejects path %j with %s', (path, code) => {
    expect(caught(() => SpiffeId.fromPath(TD, path)).code).toBe(code);
  });
});

describe('length limits (SPIFFE-ID §2.3, Decision d)', () => {
  it('accepts an ID of exactly 2048 bytes from every constructor', () => {
    const path = pathOfLength(MAX_ID_BYTES);
    const s = `spiffe://example.org${path}`;
    expect(s.length).toBe(2048);
    expect(SpiffeId.fromString(s).toString()).toBe(s);
    expect(SpiffeId.fromPath(TD, path).toString()).toBe(s);
    expect(SpiffeId.fromSegments(TD, path.slice(1)).toString()).toBe(s);
  });

  it('rejects an ID of 2049 bytes from every constructor as too long', () => {
    const path = pathOfLength(MAX_ID_BYTES + 1);
    const s = `spiffe://example.org${path}`;
    expect(caught(() => SpiffeId.fromString(s)).code).toBe('ERR_SPIFFEID_TOO_LONG');
    expect(caught(() => SpiffeId.fromPath(TD, path)).code).toBe('ERR_SPIFFEID_TOO_LONG');
    expect(caught(() => SpiffeId.fromSegments(TD, path.slice(1))).code).toBe(
      'ERR_SPIFFEID_TOO_LONG',
    );
    expect(caught(() => SpiffeId.fromString(s)).message).toBe(
      'spiffe id is too long: it exceeds the limit of 2048 bytes',
    );
  });

  it('accepts a 255-byte trust domain and rejects a 256-byte one', () => {
    expect(TrustDomain.fromString('a'.repeat(255)).name).toHaveLength(255);
    expect(caught(() => TrustDomain.fromString('a'.repeat(256))).code).toBe(
      'ERR_SPIFFEID_TRUST_DOMAIN_TOO_LONG',
    );
    expect(caught(() => SpiffeId.fromString(`spiffe://${'a'.repeat(256)}`)).code).toBe(
      'ERR_SPIFFEID_TRUST_DOMAIN_TOO_LONG',
    );
  });
});

describe('value semantics', () => {
  it('is immutable', () => {
    const id = SpiffeId.fromString('spiffe://example.org/a');
    expect(Object.isFrozen(id)).toBe(true);
    expect(Object.isFrozen(id.trustDomain)).toBe(true);
  });

  it('compares trust domains and membership by canonical name', () => {
    const id = SpiffeId.fromString('spiffe://Example.ORG/a');
    expect(id.trustDomain.equals(TD)).toBe(true);
    expect(id.memberOf(TD)).toBe(true);
    expect(id.memberOf(TrustDomain.fromString('example.org.'))).toBe(false);
    expect(TD.id().equals(SpiffeId.fromString('spiffe://example.org'))).toBe(true);
  });

  it('serializes to its canonical string in JSON', () => {
    const id = SpiffeId.fromString('SPIFFE://EXAMPLE.ORG/A');
    expect(JSON.stringify({ id, td: id.trustDomain })).toBe(
      '{"id":"spiffe://example.org/A","td":"example.org"}',
    );
  });

  it('throws TypeError, not SpiffeIdError, for a non-string argument', () => {
    expect(() => SpiffeId.fromString(42 as unknown as string)).toThrow(TypeError);
    expect(() => TrustDomain.fromString(undefined as unknown as string)).toThrow(TypeError);
  });
});

describe('matchers', () => {
  const web = SpiffeId.fromString('spiffe://example.org/web');
  const db = SpiffeId.fromString('spiffe://example.org/db');
  const other = SpiffeId.fromString('spiffe://other.org/web');

  it.each([
    ['matchAny', matchAny(), other, null],
    ['matchId equal', matchId(web), SpiffeId.fromString('spiffe://EXAMPLE.org/web'), null],
    [
      'matchId different path',
      matchId(web),
      db,
      'unexpected spiffe id spiffe://example.org/db: expected spiffe://example.org/web',
    ],
    [
      'matchId other domain',
      matchId(web),
      other,
      'unexpected spiffe id spiffe://other.org/web: expected spiffe://example.org/web',
    ],
    ['matchOneOf member', matchOneOf(db, web), web, null],
    [
      'matchOneOf non-member',
      matchOneOf(db, web),
      other,
      'unexpected spiffe id spiffe://other.org/web: expected one of spiffe://example.org/db, spiffe://example.org/web',
    ],
    [
      'matchOneOf empty',
      matchOneOf(),
      web,
      'unexpected spiffe id spiffe://example.org/web: expected none',
    ],
    ['matchMemberOf member', matchMemberOf(TD), db, null],
    ['matchMemberOf trust domain ID', matchMemberOf(TD), TD.id(), null],
    [
      'matchMemberOf non-member',
      matchMemberOf(TD),
      other,
      'unexpected spiffe id spiffe://other.org/web: expected a member of trust domain example.org',
    ],
  ])('%s', (_, matcher, id, message) => {
    if (message === null) {
      expect(() => matcher(id)).not.toThrow();
    } else {
      const err = caught(() => matcher(id));
      expect(err).toBeInstanceOf(SpiffeIdError);
      expect(err.code).toBe('ERR_SPIFFEID_UNEXPECTED');
      expect(err.message).toBe(message);
    }
  });
});

describe('documentation', () => {
  it('lists every SpiffeIdError and WorkloadEndpointError code in docs/spiffeid.md', () => {
    const doc = readFileSync(new URL('../../docs/spiffeid.md', import.meta.url), 'utf8');
    const codes = [
      ...Object.values(SpiffeIdErrorCode),
      ...Object.values(WorkloadEndpointErrorCode),
    ];
    expect(codes.filter((code) => !doc.includes(`| \`${code}\` |`))).toEqual([]);
  });
});
