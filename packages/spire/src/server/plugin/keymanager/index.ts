export * from './disk/index.js';
export { isKeyType, keyTypeOf } from './keys.js';
export * from './memory/index.js';
export * from './types.js';
