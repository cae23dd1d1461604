import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jwtMintCommand } from '../../src/cli/server/jwt/mint.js';
import { x509MintCommand } from '../../src/cli/server/x509/mint.js';
import type { CliIo } from '../../src/common/cli/command.js';
import { Bundle } from '../../src/gen/spire/api/server/bundle/v1/bundle_pb.js';
import { SVID } from '../../src/gen/spire/api/server/svid/v1/svid_pb.js';
import { BundleSchema } from '../../src/gen/spire/api/types/bundle_pb.js';
import type { ServerContext } from '../../src/server/api/context.js';
import { createSvidService } from '../../src/server/api/svid/service.js';
import { type ServerHarness, startServerHarness } from '../support/server-harness.js';

// The Bundle service belongs to another area; x509 mint only needs GetBundle's X.509 roots.
const getBundleOnly = (ctx: ServerContext) => ({
  getBundle: () =>
    create(BundleSchema, {
      trustDomain: ctx.trustDomain.name,
      x509Authorities: ctx.ca.bundle().x509Authorities.map((asn1) => ({ asn1 })),
    }),
});

let h: ServerHarness;
beforeEach(async () => {
  h = await startServerHarness({
    services: (ctx) => [
      [SVID, createSvidService(ctx)],
      [Bundle, getBundleOnly(ctx)],
    ],
  });
});
afterEach(() => h.close());

async function run(
  cmd: { run(a: readonly string[], io: CliIo): Promise<number> },
  ...args: string[]
) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: () => undefined,
    cwd: h.dir,
  };
  const code = await cmd.run([...args, '-socketPath', h.socketPath], io);
  return { code, stdout, stderr };
}

describe('spire-server x509 mint', () => {
  it('writes svid.pem, key.pem (0600) and bundle.pem with -write', async () => {
    const out = await run(
      x509MintCommand,
      '-spiffeID',
      'spiffe://example.org/m',
      '-dns',
      '*.example.org',
      '-ttl',
      '1m',
      '-write',
      '.',
    );
    expect(out).toEqual({
      code: 0,
      stderr: '',
      stdout: `X509-SVID written to ${join(h.dir, 'svid.pem')}\nPrivate key written to ${join(h.dir, 'key.pem')}\nRoot CAs written to ${join(h.dir, 'bundle.pem')}\n`,
    });
    const cert = new X509Certificate(await readFile(join(h.dir, 'svid.pem')));
    expect(cert.subjectAltName).toBe('DNS:*.example.org, URI:spiffe://example.org/m');
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(70_000);
    expect((await stat(join(h.dir, 'key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(h.dir, 'svid.pem'))).mode & 0o777).toBe(0o644);
    const root = new X509Certificate(await readFile(join(h.dir, 'bundle.pem')));
    expect(cert.verify(root.publicKey)).toBe(true);
  });

  it('prints the three PEM sections without -write', async () => {
    const out = await run(x509MintCommand, '-spiffeID', 'spiffe://example.org/m');
    expect(out.stdout).toMatch(
      /^X509-SVID:\n-----BEGIN CERTIFICATE-----\n[\s\S]+\nPrivate key:\n-----BEGIN PRIVATE KEY-----\n[\s\S]+\nRoot CAs:\n-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n\n$/,
    );
  });

  it('reports refusals: no ID, a wildcard overlap (D14)', async () => {
    expect((await run(x509MintCommand)).stderr).toBe('Error: spiffeID must be specified\n');
    const out = await run(
      x509MintCommand,
      '-spiffeID',
      'spiffe://example.org/m',
      '-dns',
      '*.example.org',
      '-dns',
      'api.example.org',
    );
    expect(out).toMatchObject({
      code: 1,
      stderr:
        'Error: unable to mint SVID: rpc error: code = InvalidArgument desc = CSR DNS name contains a wildcard that covers another non-wildcard name\n',
    });
  });
});

describe('spire-server jwt mint', () => {
  it('prints the token, or writes it 0600 with -write', async () => {
    const out = await run(
      jwtMintCommand,
      '-spiffeID',
      'spiffe://example.org/j',
      '-audience',
      'a',
      '-audience',
      'b',
      '-ttl',
      '90s',
    );
    const claims = JSON.parse(
      Buffer.from(out.stdout.trim().split('.')[1] ?? '', 'base64url').toString(),
    );
    expect(claims).toMatchObject({ sub: 'spiffe://example.org/j', aud: ['a', 'b'] });
    expect(claims.exp - claims.iat).toBe(90);

    const written = await run(
      jwtMintCommand,
      '-spiffeID',
      'spiffe://example.org/j',
      '-audience',
      'a',
      '-write',
      'token.jwt',
    );
    expect(written.stdout).toBe(`JWT-SVID written to ${join(h.dir, 'token.jwt')}\n`);
    expect((await stat(join(h.dir, 'token.jwt'))).mode & 0o777).toBe(0o600);
  });

  it('requires an audience', async () => {
    expect(await run(jwtMintCommand, '-spiffeID', 'spiffe://example.org/j')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: at least one audience must be specified\n',
    });
  });
});
