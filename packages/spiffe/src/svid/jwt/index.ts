export {
  JWT_SVID_ALGORITHMS,
  type JwtSvidAlgorithm,
} from './algorithms.js';
export { JwtSvidError, JwtSvidErrorCode } from './errors.js';
export type { JwtSvidHeader } from './header.js';
export { JwtSvid } from './jwtsvid.js';
export type { JwtSvidSignOptions } from './sign.js';
export type { JwtSvidValidateOptions } from './validate.js';
