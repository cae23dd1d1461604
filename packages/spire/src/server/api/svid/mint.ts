/**
 * One-off SVIDs for operators (local or admin callers): MintX509SVID takes the ID and DNS names
 * from the CSR, MintJWTSVID from the request. Both sign only workload IDs of our trust domain.
 */
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { SpiffeId } from '@spire-ts/spiffe';
import type { SpireLogger } from '../../../common/log/index.js';
import {
  type MintJWTSVIDRequest,
  type MintJWTSVIDResponse,
  MintJWTSVIDResponseSchema,
  type MintX509SVIDRequest,
  type MintX509SVIDResponse,
  MintX509SVIDResponseSchema,
} from '../../../gen/spire/api/server/svid/v1/svid_pb.js';
import { CsrError, type ParsedCsr, readCsr } from '../attestation/csr.js';
import { x509SvidProto } from '../attestation/proto.js';
import type { ServerContext } from '../context.js';
import { statusError, toStatus } from '../status.js';
import { signJwtSvid } from './jwt.js';
import { checkDnsNames, parseWorkloadId, wildcardOverlap, workloadId } from './workload-id.js';

/** MintX509SVID: signs the CSR's key for the CSR's one URI SAN, with its DNS SANs. */
export async function mintX509Svid(
  ctx: ServerContext,
  log: SpireLogger,
  req: MintX509SVIDRequest,
): Promise<MintX509SVIDResponse> {
  if (req.csr.length === 0) throw statusError(log, Code.InvalidArgument, 'missing CSR');
  const csr = await checkedCsr(log, req.csr);
  const spiffeId = csrSpiffeId(ctx, log, csr);
  checkCsrDnsNames(log, csr.dnsNames);
  if (req.ttl < 0) throw statusError(log, Code.InvalidArgument, 'ttl must not be negative');

  try {
    const signed = await ctx.ca.signWorkloadX509Svid({
      spiffeId,
      publicKey: csr.publicKeyDer,
      dnsNames: csr.dnsNames,
      ttlMs: req.ttl * 1000,
    });
    const expiresAt = Math.floor(signed.notAfterMs / 1000);
    return create(MintX509SVIDResponseSchema, {
      svid: x509SvidProto(spiffeId, signed.certChain, expiresAt),
    });
  } catch (err) {
    throw toStatus(log, 'failed to sign X509-SVID', err, Code.Internal);
  }
}

/** MintJWTSVID: a JWT-SVID for a workload ID of our trust domain. */
export async function mintJwtSvid(
  ctx: ServerContext,
  log: SpireLogger,
  req: MintJWTSVIDRequest,
): Promise<MintJWTSVIDResponse> {
  let id: SpiffeId;
  try {
    if (!req.id) throw new Error('request must name a SPIFFE ID');
    id = workloadId(ctx, SpiffeId.fromPath(req.id.trustDomain, req.id.path));
  } catch (err) {
    throw toStatus(log, 'invalid SPIFFE ID', err, Code.InvalidArgument);
  }
  if (req.ttl < 0) throw statusError(log, Code.InvalidArgument, 'ttl must not be negative');
  const svid = await signJwtSvid(ctx, log, id, req.audience, req.ttl);
  return create(MintJWTSVIDResponseSchema, { svid });
}

async function checkedCsr(log: SpireLogger, der: Uint8Array): Promise<ParsedCsr> {
  try {
    return await readCsr(der);
  } catch (err) {
    const bad = err instanceof CsrError && err.code === 'ERR_CSR_BAD_SIGNATURE';
    throw toStatus(
      log,
      bad ? 'failed to verify CSR signature' : 'malformed CSR',
      err,
      Code.InvalidArgument,
    );
  }
}

function csrSpiffeId(ctx: ServerContext, log: SpireLogger, csr: ParsedCsr): SpiffeId {
  const [uri, ...more] = csr.uris;
  if (uri === undefined) throw statusError(log, Code.InvalidArgument, 'CSR URI SAN is required');
  if (more.length > 0) throw statusError(log, Code.InvalidArgument, 'only one URI SAN is expected');
  try {
    return parseWorkloadId(ctx, uri);
  } catch (err) {
    throw toStatus(log, 'CSR URI SAN is invalid', err, Code.InvalidArgument);
  }
}

// bug-cases-2 D14: wildcards allowed as the whole first label, never covering another name.
function checkCsrDnsNames(log: SpireLogger, names: readonly string[]): void {
  try {
    checkDnsNames(names);
  } catch (err) {
    throw toStatus(log, 'CSR DNS name is invalid', err, Code.InvalidArgument);
  }
  if (wildcardOverlap(names)) {
    throw statusError(
      log,
      Code.InvalidArgument,
      'CSR DNS name contains a wildcard that covers another non-wildcard name',
    );
  }
}
