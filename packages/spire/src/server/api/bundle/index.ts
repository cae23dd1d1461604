export { createBundleService } from './service.js';
