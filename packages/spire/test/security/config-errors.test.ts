/**
 * Operator mistakes in `spire-server run`'s config: the server must stop at once with one line
 * naming the setting and the fix, never start half-configured (bug-cases-2, configuration).
 * SPIRE's x509pop reads its CA bundle when it is configured, so a bad `ca_bundle_path` stops
 * the server instead of failing every later attestation.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, freePort, ROOT } from '../../../../test/e2e/support/deployment.js';

const SERVER_BIN = join(ROOT, 'packages/spire/bin/spire-server.js');
let dir: string;
beforeAll(() => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'sec-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runServer(name: string, nodeAttestor: string) {
  const socketPath = join(dir, `${name}.sock`);
  const conf = join(dir, `${name}.conf`);
  writeFileSync(
    conf,
    `server {
  bind_address = "127.0.0.1"
  bind_port = "${await freePort()}"
  socket_path = "${socketPath}"
  trust_domain = "example.org"
  data_dir = "${join(dir, name)}"
}
plugins {
  DataStore "sql" { plugin_data { database_type = "sqlite3" connection_string = "${join(dir, name, 'ds.sqlite3')}" } }
  KeyManager "memory" { plugin_data {} }
  ${nodeAttestor}
}
`,
  );
  const r = spawnSync(process.execPath, [SERVER_BIN, 'run', '-config', conf], {
    encoding: 'utf8',
    timeout: 8_000,
  });
  return { ...r, socketLeft: existsSync(socketPath) };
}

describe('spire-server run: x509pop CA bundle checked at start', () => {
  it.each([
    [
      'a missing file',
      () => join(dir, 'missing.pem'),
      (p: string) =>
        `Error: x509pop: unable to read ca bundle ${p}: no such file or directory; check ca_bundle_path\n`,
    ],
    [
      'a file without a certificate',
      () => {
        const p = join(dir, 'empty.pem');
        writeFileSync(p, 'not a certificate\n');
        return p;
      },
      (p: string) =>
        `Error: x509pop: no certificate in ca bundle ${p}; it must hold PEM CERTIFICATE blocks\n`,
    ],
    [
      'a file with a corrupt certificate',
      () => {
        const p = join(dir, 'corrupt.pem');
        writeFileSync(p, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
        return p;
      },
      (p: string) => `Error: x509pop: certificate 1 of ca bundle ${p} cannot be parsed\n`,
    ],
  ])('%s stops the server with the path named, before it listens', async (name, make, line) => {
    const path = make();
    const r = await runServer(
      name.replaceAll(' ', '-'),
      `NodeAttestor "x509pop" { plugin_data { ca_bundle_path = "${path}" } }`,
    );

    expect({ signal: r.signal, status: r.status, socketLeft: r.socketLeft }).toEqual({
      signal: null,
      status: 1,
      socketLeft: false,
    });
    expect(
      r.stderr
        .split('\n')
        .filter((l) => l.startsWith('Error: '))
        .map((l) => `${l}\n`),
    ).toEqual([line(path)]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
