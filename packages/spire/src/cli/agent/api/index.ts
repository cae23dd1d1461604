export { connectWorkloadApi, describeError, type WorkloadApiConnection } from './client.js';
export { apiFetchJwtCommand } from './fetch-jwt.js';
export { apiFetchCommand, apiFetchX509Command } from './fetch-x509.js';
export { apiValidateJwtCommand } from './validate-jwt.js';
export { apiWatchCommand, createApiWatchCommand } from './watch.js';
