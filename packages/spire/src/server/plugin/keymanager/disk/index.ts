export { DiskKeyManager, type DiskKeyManagerConfig, diskKeyManagerConfigSchema } from './disk.js';
