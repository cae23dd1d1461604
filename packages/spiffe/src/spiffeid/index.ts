export { MAX_ID_BYTES, MAX_TRUST_DOMAIN_BYTES } from './charset.js';
export { SpiffeIdError, SpiffeIdErrorCode } from './errors.js';
export { SpiffeId } from './id.js';
export {
  type Matcher,
  matchAny,
  matchId,
  matchMemberOf,
  matchOneOf,
} from './match.js';
export { TrustDomain } from './trustdomain.js';
