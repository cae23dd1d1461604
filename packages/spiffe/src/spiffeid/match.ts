import { SpiffeIdError, SpiffeIdErrorCode } from './errors.js';
import type { SpiffeId } from './id.js';
import type { TrustDomain } from './trustdomain.js';

/**
 * Authorizes a peer's SPIFFE ID: returns when the ID is acceptable, throws a
 * {@link SpiffeIdError} with code `ERR_SPIFFEID_UNEXPECTED` when it is not.
 */
export type Matcher = (id: SpiffeId) => void;

/** A matcher that accepts every ID. Use only where any authenticated peer is acceptable. */
export function matchAny(): Matcher {
  return () => {};
}

/** A matcher that accepts exactly `expected`. */
export function matchId(expected: SpiffeId): Matcher {
  return (id) => {
    if (!id.equals(expected)) {
      throw unexpected(id, `expected ${expected}`);
    }
  };
}

/** A matcher that accepts any one of `expected`; with none given it accepts nothing. */
export function matchOneOf(...expected: SpiffeId[]): Matcher {
  const allowed = new Set(expected.map((id) => id.toString()));
  const list = [...allowed].join(', ');
  return (id) => {
    if (!allowed.has(id.toString())) {
      throw unexpected(id, allowed.size === 0 ? 'expected none' : `expected one of ${list}`);
    }
  };
}

/** A matcher that accepts any ID in trust domain `td`. */
export function matchMemberOf(td: TrustDomain): Matcher {
  return (id) => {
    if (!id.memberOf(td)) {
      throw unexpected(id, `expected a member of trust domain ${td}`);
    }
  };
}

function unexpected(id: SpiffeId, expectation: string): SpiffeIdError {
  return new SpiffeIdError(
    SpiffeIdErrorCode.Unexpected,
    `unexpected spiffe id ${id}: ${expectation}`,
  );
}
