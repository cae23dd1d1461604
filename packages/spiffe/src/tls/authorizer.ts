import type { X509Certificate } from 'node:crypto';
import type { Matcher, SpiffeId } from '../spiffeid/index.js';
import { SpiffeIdError, SpiffeIdErrorCode } from '../spiffeid/index.js';

/**
 * Decides whether an authenticated peer may talk to us: returns to accept, throws to refuse.
 * Every spiffeid {@link Matcher} (`matchAny`, `matchId`, `matchOneOf`, `matchMemberOf`) is one.
 */
export type Authorizer = (id: SpiffeId, verifiedChain: readonly X509Certificate[]) => void;

/** A custom authorizer from a predicate; `rule` describes it in the refusal message. */
export function authorizeIf(
  predicate: (id: SpiffeId, verifiedChain: readonly X509Certificate[]) => boolean,
  rule: string,
): Authorizer {
  return (id, chain) => {
    if (!predicate(id, chain)) {
      throw new SpiffeIdError(SpiffeIdErrorCode.Unexpected, `unexpected spiffe id ${id}: ${rule}`);
    }
  };
}

/** Adapts a spiffeid matcher (kept for symmetry with go-spiffe's `tlsconfig.AdaptMatcher`). */
export function adaptMatcher(matcher: Matcher): Authorizer {
  return (id) => matcher(id);
}
