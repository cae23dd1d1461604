export { DiskUpstreamAuthority, diskUpstreamAuthorityConfigSchema } from './disk.js';
