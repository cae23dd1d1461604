export {
  AUTHORIZATION,
  bearerFromHeaders,
  bearerFromMetadata,
  bearerValue,
  type HeaderBag,
  type MetadataLike,
  readBearer,
  setBearer,
  validateBearer,
} from './bearer.js';
export { JwtSvidCache, type JwtSvidCacheOptions, type JwtSvidFetcher } from './cache.js';
export { JwtAuthError, JwtAuthErrorCode } from './errors.js';
