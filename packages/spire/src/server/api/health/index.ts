export { checkHealth, type HealthReport } from './checker.js';
export { createHealthService, HEALTH_WATCH_INTERVAL_MS } from './service.js';
