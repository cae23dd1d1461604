/**
 * `spire.api.server.debug.v1.Debug.GetInfo` on the admin socket: uptime, counts of agents,
 * entries and federated bundles, and the server's own SVID chain.
 */
import { X509Certificate } from 'node:crypto';
import type { ServiceImpl } from '@connectrpc/connect';
import { LogField } from '../../../common/log/index.js';
import type { Debug } from '../../../gen/spire/api/server/debug/v1/debug_pb.js';
import type { ServerContext } from '../context.js';
import { idToProto } from '../convert/ids.js';
import { toStatus } from '../status.js';

/** What the debug service needs from the runtime besides the context. */
export interface DebugSources {
  /** When the server started (ms since the epoch, by the context's clock). */
  readonly startedAtMs: number;
  /** The server SVID chain presented now, leaf first (DER). */
  serverSvidChain(): readonly Uint8Array[];
}

/** Builds the Debug service. */
export function createDebugService(
  ctx: ServerContext,
  sources: DebugSources,
): ServiceImpl<typeof Debug> {
  const log = ctx.log.child({ [LogField.Service]: 'debug.v1.Debug' });
  return {
    async getInfo() {
      try {
        const [agents, entries, bundles] = await Promise.all([
          ctx.datastore.countAttestedNodes(),
          ctx.datastore.countEntries(),
          ctx.datastore.countBundles(),
        ]);
        const ownStored = (await ctx.datastore.fetchBundle(ctx.trustDomain.name)) ? 1 : 0;
        return {
          uptime: Math.floor((ctx.clock.now() - sources.startedAtMs) / 1000),
          agentsCount: agents,
          entriesCount: entries,
          federatedBundlesCount: bundles - ownStored,
          svidChain: sources.serverSvidChain().map(certInfo),
        };
      } catch (err) {
        throw toStatus(log, 'failed to get debug info', err);
      }
    },
  };
}

function certInfo(der: Uint8Array) {
  const cert = new X509Certificate(der);
  const uri = cert.subjectAltName
    ?.split(', ')
    .find((s) => s.startsWith('URI:spiffe://'))
    ?.slice(4);
  return {
    ...(uri ? { id: idToProto(uri) } : {}),
    expiresAt: BigInt(Math.floor(Date.parse(cert.validTo) / 1000)),
    subject: cert.subject.split('\n').reverse().join(','),
  };
}
