/**
 * `grpc.health.v1.Health` on the admin socket (reference §3.3): the overall server status under
 * the empty service name, SERVING when {@link checkHealth} passes, NOT_SERVING otherwise.
 */
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  type Health,
  HealthCheckResponse_ServingStatus as Serving,
} from '../../../gen/grpc/health/v1/health_pb.js';
import type { ServerContext } from '../context.js';
import { checkHealth } from './checker.js';

/** How often Watch re-checks and reports a change. */
export const HEALTH_WATCH_INTERVAL_MS = 5_000;

// The server reports one status, for the whole server, under "".
const SERVICES = [''];

/** Builds the Health service. */
export function createHealthService(ctx: ServerContext): ServiceImpl<typeof Health> {
  const status = async () =>
    (await checkHealth(ctx)).healthy ? Serving.SERVING : Serving.NOT_SERVING;
  const known = (service: string) => {
    if (!SERVICES.includes(service)) throw new ConnectError('unknown service', Code.NotFound);
  };
  return {
    async check(req) {
      known(req.service);
      return { status: await status() };
    },
    async list() {
      return { statuses: { '': { status: await status() } } };
    },
    async *watch(req, hc) {
      known(req.service);
      let last: Serving | undefined;
      while (!hc.signal.aborted) {
        const now = await status();
        if (now !== last) yield { status: now };
        last = now;
        await sleep(ctx, HEALTH_WATCH_INTERVAL_MS, hc.signal);
      }
    },
  };
}

function sleep(ctx: ServerContext, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = ctx.clock.setTimer(ms, resolve);
    signal.addEventListener('abort', () => {
      timer.cancel();
      resolve();
    });
  });
}
