/**
 * The `spire.api.server.svid.v1.SVID` service: agents' BatchNewX509SVID and NewJWTSVID, and the
 * operators' MintX509SVID and MintJWTSVID. Each handler authorizes its caller first.
 */
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { NewJWTSVIDResponseSchema, SVID } from '../../../gen/spire/api/server/svid/v1/svid_pb.js';
import { requestLog } from '../agent/service.js';
import { authorize } from '../authorize.js';
import type { ServerContext } from '../context.js';
import { batchNewX509Svid, newJwtSvid } from './agent-svids.js';
import { mintJwtSvid, mintX509Svid } from './mint.js';

const SERVICE = SVID.typeName;

/** Implements the SVID service over `ctx`. WIT-SVIDs and downstream CAs are not offered. */
export function createSvidService(ctx: ServerContext): Partial<ServiceImpl<typeof SVID>> {
  const call = async (method: string, handler: HandlerContext) => {
    const who = await authorize(ctx, `/${SERVICE}/${method}`, handler);
    return { who, log: requestLog(ctx, method, who) };
  };

  return {
    async mintX509SVID(req, h) {
      return mintX509Svid(ctx, (await call('MintX509SVID', h)).log, req);
    },
    async mintJWTSVID(req, h) {
      return mintJwtSvid(ctx, (await call('MintJWTSVID', h)).log, req);
    },
    async batchNewX509SVID(req, h) {
      const { who, log } = await call('BatchNewX509SVID', h);
      return batchNewX509Svid(ctx, log, who, req);
    },
    async newJWTSVID(req, h) {
      const { who, log } = await call('NewJWTSVID', h);
      return create(NewJWTSVIDResponseSchema, { svid: await newJwtSvid(ctx, log, who, req) });
    },
    async mintWITSVID() {
      throw new ConnectError('WIT-SVIDs are not supported', Code.Unimplemented);
    },
    async batchNewWITSVID() {
      throw new ConnectError('WIT-SVIDs are not supported', Code.Unimplemented);
    },
    async newDownstreamX509CA() {
      throw new ConnectError('downstream X.509 CAs are not supported', Code.Unimplemented);
    },
  };
}
