/**
 * The `health_checks` HTTP listener (reference §3.1): `GET <live_path>` and `GET <ready_path>`
 * answer 200 when the server is healthy and 500 otherwise, with a small JSON body.
 */

import { once } from 'node:events';
import http from 'node:http';
import type { HealthChecksConfig } from '../../common/config/sections.js';
import { LogField, type SpireLogger } from '../../common/log/index.js';
import type { HealthReport } from '../api/health/index.js';

/** A running health listener. */
export interface HealthListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the listener on `bind_address:bind_port` (IPv6 literals need no brackets, D19). */
export async function startHealthListener(
  config: HealthChecksConfig,
  check: () => Promise<HealthReport>,
  log: SpireLogger,
): Promise<HealthListener> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || (path !== config.live_path && path !== config.ready_path)) {
      res.writeHead(404).end();
      return;
    }
    check().then(
      (report) => {
        const body = report.healthy ? { server: {} } : { server: { errors: report.problems } };
        res.writeHead(report.healthy ? 200 : 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      },
      () => res.writeHead(500).end(),
    );
  });
  server.listen(config.bind_port, config.bind_address);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.bind_port;
  log.info({ [LogField.Address]: `${config.bind_address}:${port}` }, 'Serving health checks');
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
