/**
 * Oversized gRPC messages (field notes §4.4: HTTP/2 and message-size DoS). grpc-go, so SPIRE,
 * refuses a received message above 4 MiB with ResourceExhausted before buffering it. Connect's
 * default limit is 4 GiB: a single anonymous 200 MiB message grew the server from 137 MB to
 * 4.3 GB RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildOnce,
  type ServerProcess,
  startServer,
} from '../../../../test/e2e/support/deployment.js';
import { startWorkloadEndpoint } from '../../src/agent/endpoints/index.js';
import type { GrpcServer } from '../../src/common/grpc/index.js';
import { createLogger } from '../../src/common/log/index.js';
import { FakeView, makeAuthority } from '../agent/endpoints/support/fake-view.js';
import { callWithBody, rawSession } from './support/raw-grpc.js';

const MiB = 1024 * 1024;

describe('Workload API endpoint: message size limit (as grpc-go, 4 MiB)', () => {
  let dir: string;
  let server: GrpcServer;
  let socketPath: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sec-msgsize-'));
    socketPath = join(dir, 'public', 'api.sock');
    const { logger } = createLogger({ stream: { write: () => {} } });
    server = await startWorkloadEndpoint({
      socketPath,
      view: new FakeView(await makeAuthority('example.org')),
      attestors: [{ name: 'unix', attest: async () => ['uid:1000'] }],
      log: logger,
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['4 MiB + 1 byte', 4 * MiB + 1],
    ['16 MiB', 16 * MiB],
  ])('a %s FetchJWTSVID request is ResourceExhausted, not buffered', async (_n, size) => {
    const session = rawSession({ socketPath });
    try {
      const out = await callWithBody(session, '/SpiffeWorkloadAPI/FetchJWTSVID', size);
      expect(out.status).toBe(Code.ResourceExhausted);
    } finally {
      session.close();
    }
  });

  it('a 1 MiB request is still read and answered (no identity: PermissionDenied)', async () => {
    const session = rawSession({ socketPath });
    try {
      const out = await callWithBody(session, '/SpiffeWorkloadAPI/FetchJWTSVID', MiB);
      expect(out.status).toBe(Code.PermissionDenied);
    } finally {
      session.close();
    }
  });
});

describe('spire-server run: message size limit on the TCP listener', () => {
  let srv: ServerProcess;
  beforeAll(async () => {
    buildOnce();
    srv = await startServer();
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  // Found by the security pass: Connect's default limit is 4 GiB; serveGrpc now defaults to
  // grpc-go's 4 MiB for every listener.
  it('an anonymous 16 MiB GetBundle request is ResourceExhausted', async () => {
    const session = rawSession({ tlsAddress: `127.0.0.1:${srv.port}` });
    try {
      const out = await callWithBody(
        session,
        '/spire.api.server.bundle.v1.Bundle/GetBundle',
        16 * MiB,
        {},
      );
      expect(out.status).toBe(Code.ResourceExhausted);
    } finally {
      session.close();
    }
  });
});
