import type { Interceptor } from '@connectrpc/connect';
import { WorkloadStatus } from './status.js';

/** Workload Endpoint §3: the metadata key every Workload API request carries. */
export const SECURITY_HEADER = 'workload.spiffe.io';

/** The service whose methods require the header (no proto package: `/SpiffeWorkloadAPI/...`). */
const WORKLOAD_API_SERVICE = 'SpiffeWorkloadAPI';

/**
 * Refuses Workload API calls without exactly one `workload.spiffe.io` value equal to `true`
 * (case-sensitive) with InvalidArgument, before any attestation runs (Workload Endpoint §3, §6).
 * Other services on the socket (health) do not need it, as in SPIRE.
 */
export const securityHeaderInterceptor: Interceptor = (next) => async (req) => {
  // Headers.get joins repeated values with ", ", so two `true` values do not pass either.
  if (req.service.typeName === WORKLOAD_API_SERVICE && req.header.get(SECURITY_HEADER) !== 'true') {
    throw WorkloadStatus.securityHeaderMissing();
  }
  return next(req);
};
