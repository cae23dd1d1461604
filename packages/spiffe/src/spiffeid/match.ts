import { SpiffeIdError, SpiffeIdErrorCode } from './errors.js';
import { SpiffeId } from './id.js';
import { TrustDomain } from './trustdomain.js';

/**
 * Authorizes a peer's SPIFFE ID: returns when the ID is acceptable, throws a
 * {@link SpiffeIdError} with code `ERR_SPIFFEID_UNEXPECTED` when it is not.
 */
export type Matcher = (id: SpiffeId) => void;

/** A matcher that accepts every ID. Use only where any authenticated peer is acceptable. */
export function matchAny(): Matcher {
  return () => {};
}

/**
 * A matcher that accepts exactly `expected`, a {@link SpiffeId} or an ID string (parsed here, so a
 * bad one fails now rather than rejecting every peer later).
 */
export function matchId(expected: SpiffeId | string): Matcher {
  const want = toSpiffeId(expected);
  return (id) => {
    if (!id.equals(want)) {
      throw unexpected(id, `expected ${want}`);
    }
  };
}

/**
 * A matcher that accepts any one of `expected` (SpiffeIds or ID strings, compared in canonical
 * form); with none given it accepts nothing.
 */
export function matchOneOf(...expected: (SpiffeId | string)[]): Matcher {
  const allowed = new Set(expected.map((id) => toSpiffeId(id).toString()));
  const list = [...allowed].join(', ');
  return (id) => {
    if (!allowed.has(id.toString())) {
      throw unexpected(id, allowed.size === 0 ? 'expected none' : `expected one of ${list}`);
    }
  };
}

/** A matcher that accepts any ID in trust domain `td` (a {@link TrustDomain} or its name). */
export function matchMemberOf(td: TrustDomain | string): Matcher {
  const want = toTrustDomain(td);
  return (id) => {
    if (!id.memberOf(want)) {
      throw unexpected(id, `expected a member of trust domain ${want}`);
    }
  };
}

function toSpiffeId(value: unknown): SpiffeId {
  if (value instanceof SpiffeId) return value;
  if (typeof value === 'string') return SpiffeId.fromString(value);
  throw new TypeError(`expected spiffe id must be a SpiffeId or a string, got ${typeName(value)}`);
}

function toTrustDomain(value: unknown): TrustDomain {
  if (value instanceof TrustDomain) return value;
  if (typeof value === 'string') return TrustDomain.fromString(value);
  throw new TypeError(
    `expected trust domain must be a TrustDomain or a string, got ${typeName(value)}`,
  );
}

function typeName(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

function unexpected(id: SpiffeId, expectation: string): SpiffeIdError {
  return new SpiffeIdError(
    SpiffeIdErrorCode.Unexpected,
    `unexpected spiffe id ${id}: ${expectation}`,
  );
}
