import { isAbsolute, join } from 'node:path';
import { SpiffeId } from '@spire-ts/spiffe';
import { MintJWTSVIDResponseSchema, SVID } from '../../../gen/spire/api/server/svid/v1/svid_pb.js';
import { adminCommand, CliError, errorText, printJson } from '../client.js';
import { writeOut } from '../x509/mint.js';

/**
 * `spire-server jwt mint -spiffeID ID -audience AUD... [-ttl D] [-write FILE]`: prints the token
 * (or writes it, mode 0600) (reference §3.4).
 */
export const jwtMintCommand = adminCommand(
  'jwt mint',
  'Mints a JWT-SVID',
  [
    { name: 'spiffeID', kind: 'string', usage: 'SPIFFE ID of the JWT-SVID', default: '' },
    { name: 'ttl', kind: 'duration', usage: 'TTL of the JWT-SVID', default: 0 },
    {
      name: 'audience',
      kind: 'list',
      usage: 'Audience claim that will be included in the SVID. Can be used more than once.',
    },
    {
      name: 'write',
      kind: 'string',
      usage: 'File to write token to instead of stdout',
      default: '',
    },
  ],
  async ({ flags, io, json, server }) => {
    if (String(flags.spiffeID) === '') throw new CliError('spiffeID must be specified');
    const audience = (flags.audience as readonly string[] | undefined) ?? [];
    if (audience.length === 0) throw new CliError('at least one audience must be specified');
    const id = SpiffeId.fromString(String(flags.spiffeID));
    const ttlMs = Number(flags.ttl);
    // The cap check compares with when the request left, not when the answers came back.
    const requestedAtMs = Date.now();
    const res = await server
      .client(SVID)
      .mintJWTSVID({
        id: { trustDomain: id.trustDomain.name, path: id.path },
        audience: [...audience],
        ttl: Math.ceil(ttlMs / 1000),
      })
      .catch((err: unknown) => {
        throw new CliError(`unable to mint SVID: ${errorText(err)}`);
      });
    const token = res.svid?.token ?? '';
    if (token === '') throw new CliError('server response missing token');
    const expiresAtMs = Number(res.svid?.expiresAt ?? 0n) * 1000;
    // Certificates carry whole seconds: only a cap of a second or more is worth a warning.
    if (expiresAtMs + 1000 < requestedAtMs + ttlMs) {
      const when = new Date(expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
      io.stderr.write(
        `JWT-SVID lifetime was capped shorter than specified ttl; expires "${when}"\n`,
      );
    }
    const file = String(flags.write);
    if (file === '') {
      if (json) return printJson(io, MintJWTSVIDResponseSchema, res);
      io.stdout.write(`${token}\n`);
      return;
    }
    const path = isAbsolute(file) ? file : join(io.cwd, file);
    await writeOut(path, token, 0o600, 'unable to write token');
    io.stdout.write(`JWT-SVID written to ${path}\n`);
  },
);
