import { Code, ConnectError } from '@connectrpc/connect';
import { ValidateJWTSVIDResponseSchema } from '@spire-ts/spiffe/workload-proto';
import type { Command } from '../../../common/cli/command.js';
import { apiCommand, callOptions } from './command.js';
import { OUTPUT_FLAG, protoJson } from './output.js';

/**
 * `spire-agent api validate jwt -audience A -svid TOKEN`: asks the agent to validate the token for
 * the one audience (no comma splitting) and prints `SVID is valid.`, the SPIFFE ID and the claims;
 * a token the agent rejects prints `SVID is not valid: <reason>` and exits 1 (bug-cases-2 D33).
 */
export const apiValidateJwtCommand: Command = apiCommand(
  'api validate jwt',
  'Validates a JWT SVID',
  [
    { name: 'audience', kind: 'string', usage: 'expected audience value' },
    { name: 'svid', kind: 'string', usage: 'JWT SVID' },
  ],
  async ({ flags, conn, io, output }) => {
    const audience = String(flags['audience']);
    const svid = String(flags['svid']);
    if (audience === '') throw new Error('audience must be specified');
    if (svid === '') throw new Error('svid must be specified');

    let resp: Awaited<ReturnType<typeof conn.api.validateJWTSVID>>;
    try {
      resp = await conn.api.validateJWTSVID({ audience, svid }, callOptions(conn));
    } catch (err) {
      const status = ConnectError.from(err);
      if (status.code === Code.InvalidArgument) {
        throw new Error(`SVID is not valid: ${status.rawMessage}`);
      }
      throw new Error(`unable to validate JWT SVID: ${status.rawMessage}`);
    }

    if (output === 'json') {
      io.stdout.write(protoJson([[ValidateJWTSVIDResponseSchema, resp]]));
      return;
    }
    io.stdout.write('SVID is valid.\n');
    io.stdout.write(`SPIFFE ID : ${resp.spiffeId}\n`);
    io.stdout.write(`Claims    : ${JSON.stringify(resp.claims ?? {})}\n`);
  },
  [OUTPUT_FLAG],
);
