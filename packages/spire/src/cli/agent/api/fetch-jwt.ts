import { JWTBundlesResponseSchema, JWTSVIDResponseSchema } from '@spire-ts/spiffe/workload-proto';
import type { Command } from '../../../common/cli/command.js';
import { apiCommand, callOptions, firstOf } from './command.js';
import { FORMAT_FLAG, OUTPUT_FLAG, protoJson } from './output.js';

/**
 * `spire-agent api fetch jwt -audience a,b [-spiffeID ID]`: the JWT bundles, then a JWT-SVID per
 * identity (or for `-spiffeID`), printed as SPIRE prints them. `-audience` is one comma-separated
 * list; giving it again replaces it (bug-cases-2 D33).
 */
export const apiFetchJwtCommand: Command = apiCommand(
  'api fetch jwt',
  'Fetches a JWT SVID from the Workload API',
  [
    { name: 'audience', kind: 'string', usage: 'comma separated list of audience values' },
    { name: 'spiffeID', kind: 'string', usage: 'SPIFFE ID subject (optional)' },
  ],
  async ({ flags, conn, io, output }) => {
    const audience = String(flags['audience'])
      .split(',')
      .filter((a) => a !== '');
    if (audience.length === 0) throw new Error('audience must be specified');

    const bundles = await firstOf((signal) =>
      conn.api.fetchJWTBundles({}, callOptions(conn, signal)),
    );
    const resp = await conn.api.fetchJWTSVID(
      { audience, spiffeId: String(flags['spiffeID']) },
      callOptions(conn),
    );

    if (output === 'json') {
      // SPIRE prints [JWTSVIDResponse, JWTBundlesResponse].
      io.stdout.write(
        protoJson([
          [JWTSVIDResponseSchema, resp],
          [JWTBundlesResponseSchema, bundles],
        ]),
      );
      return;
    }
    for (const svid of resp.svids) {
      io.stdout.write(`token(${svid.spiffeId}):\n\t${svid.svid}\n`);
      if (svid.hint !== '') io.stdout.write(`hint(${svid.spiffeId}):\n\t${svid.hint}\n`);
    }
    for (const [td, jwks] of Object.entries(bundles.bundles)) {
      io.stdout.write(`bundle(${td}):\n\t${Buffer.from(jwks).toString()}\n`);
    }
  },
  [OUTPUT_FLAG, FORMAT_FLAG],
);
