import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startAgent } from '../../../src/agent/agent.js';
import { buildAgentConfig } from '../../../src/agent/config/index.js';
import { parseConfigText } from '../../../src/common/config/index.js';
import { createLogger } from '../../../src/common/log/index.js';
import { buildServerConfig } from '../../../src/server/config/index.js';
import { type RunningServer, startServer } from '../../../src/server/server.js';

/** Parsed log lines of a test component. */
export type Lines = Record<string, unknown>[];

/** A logger writing parsed JSON lines into `lines`. */
export function captureLog(lines: Lines) {
  return createLogger({
    level: 'debug',
    format: 'json',
    stream: { write: (l: string) => lines.push(JSON.parse(l)) },
  }).logger;
}

/** Starts the real server (`spire-server run`'s core) on loopback with data under `dir`. */
export async function startRealServer(
  dir: string,
  port?: number,
  lines: Lines = [],
): Promise<RunningServer> {
  port ??= await freePort();
  const config = buildServerConfig(
    parseConfigText(
      `server {
        trust_domain = "example.org"
        data_dir = "${dir}/server"
        bind_address = "127.0.0.1"
        bind_port = "${port}"
        socket_path = "${dir}/server/api.sock"
        default_x509_svid_ttl = "1h"
      }
      plugins {
        DataStore "sql" { plugin_data { database_type = "sqlite3" connection_string = "${dir}/server/ds.sqlite3" } }
        KeyManager "disk" { plugin_data { keys_path = "${dir}/server/keys.json" } }
        NodeAttestor "join_token" { plugin_data {} }
      }`,
      join(dir, 'server.conf'),
    ),
  );
  return startServer(config, { log: captureLog(lines) });
}

/** Writes the server's current bundle as PEM for `trust_bundle_path`. */
export async function writeBundle(server: RunningServer, path: string): Promise<void> {
  const pem = server.ctx.ca
    .bundle()
    .x509Authorities.map((der) => new X509Certificate(der).toString())
    .join('');
  await writeFile(path, pem);
}

/** An agent config for the real server, joining with `token`. */
export function agentConfig(dir: string, port: number, token: string, keyManager = 'disk') {
  const km =
    keyManager === 'disk'
      ? `KeyManager "disk" { plugin_data { directory = "${dir}/agent" } }`
      : 'KeyManager "memory" { plugin_data {} }';
  return buildAgentConfig(
    parseConfigText(
      `agent {
        trust_domain = "example.org"
        data_dir = "${dir}/agent"
        server_address = "127.0.0.1"
        server_port = ${port}
        trust_bundle_path = "${dir}/bundle.pem"
        join_token = "${token}"
        socket_path = "${dir}/agent/api.sock"
      }
      plugins {
        ${km}
        NodeAttestor "join_token" { plugin_data {} }
        WorkloadAttestor "unix" { plugin_data {} }
      }`,
      join(dir, 'agent.conf'),
    ),
  );
}

/** Starts an agent with a captured log. */
export function runAgent(config: ReturnType<typeof agentConfig>, lines: Lines) {
  return startAgent(config, { log: captureLog(lines) });
}

/** A loopback port free right now (the server config refuses port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
