export * from './disk/index.js';
export * from './types.js';
