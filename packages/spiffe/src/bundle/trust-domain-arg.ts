import { TrustDomain } from '../spiffeid/index.js';

/** A trust domain as callers may give it: a {@link TrustDomain}, or its name / `spiffe://` ID. */
export type TrustDomainArg = TrustDomain | string;

/**
 * The {@link TrustDomain} of an argument: kept as is, or parsed from a name such as `example.org`
 * (or `spiffe://example.org`) by the SPIFFE-ID §2.1 rules, which throw `SpiffeIdError`. Anything
 * else is a `TypeError` here, before it can fail far away inside a later lookup.
 */
export function toTrustDomain(td: unknown): TrustDomain {
  if (td instanceof TrustDomain) return td;
  if (typeof td === 'string') return TrustDomain.fromString(td);
  const got = td === null ? 'null' : typeof td;
  throw new TypeError(`trust domain must be a TrustDomain or a trust domain name, got ${got}`);
}
