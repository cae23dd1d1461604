export { MemoryKeyManager } from './memory.js';
