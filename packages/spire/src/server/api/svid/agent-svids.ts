/**
 * The SVIDs an agent asks for on behalf of its workloads: BatchNewX509SVID and NewJWTSVID. The
 * entry must be authorized to this agent in the in-memory cache; the SVID's ID, DNS names and TTL
 * come from the entry, never from the CSR (reference §3.8, CVE-2021-27098).
 */
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { SpiffeId } from '@spire-ts/spiffe';
import type { SpireLogger } from '../../../common/log/index.js';
import { LogField } from '../../../common/log/index.js';
import {
  type BatchNewX509SVIDRequest,
  type BatchNewX509SVIDResponse,
  type BatchNewX509SVIDResponse_Result,
  BatchNewX509SVIDResponse_ResultSchema,
  BatchNewX509SVIDResponseSchema,
  type NewJWTSVIDRequest,
  type NewX509SVIDParams,
} from '../../../gen/spire/api/server/svid/v1/svid_pb.js';
import type { JWTSVID } from '../../../gen/spire/api/types/jwtsvid_pb.js';
import { StatusSchema } from '../../../gen/spire/api/types/status_pb.js';
import type { RegistrationEntry } from '../../datastore/index.js';
import { CsrError, readCsr } from '../attestation/csr.js';
import { x509SvidProto } from '../attestation/proto.js';
import type { AuthorizedCaller, ServerContext } from '../context.js';
import { itemStatus, OK_STATUS, statusError, toStatus } from '../status.js';
import { signJwtSvid } from './jwt.js';

const NOT_AUTHORIZED = 'entry not found or not authorized';

/** Parsed SPIFFE IDs of cached entries; an updated entry is a new object, so never stale. */
const entryIds = new WeakMap<RegistrationEntry, SpiffeId>();

function spiffeIdOf(entry: RegistrationEntry): SpiffeId {
  let id = entryIds.get(entry);
  if (!id) {
    id = SpiffeId.fromString(entry.spiffeId);
    entryIds.set(entry, id);
  }
  return id;
}

/** BatchNewX509SVID: one result per param, each with its own status. */
export async function batchNewX509Svid(
  ctx: ServerContext,
  log: SpireLogger,
  who: AuthorizedCaller,
  req: BatchNewX509SVIDRequest,
): Promise<BatchNewX509SVIDResponse> {
  if (req.params.length === 0) {
    throw statusError(log, Code.InvalidArgument, 'missing parameters');
  }
  const entries = authorizedById(ctx, log, who, new Set(req.params.map((p) => p.entryId)));
  const results: BatchNewX509SVIDResponse_Result[] = [];
  for (const param of req.params) results.push(await newX509Svid(ctx, log, param, entries));
  return create(BatchNewX509SVIDResponseSchema, { results });
}

async function newX509Svid(
  ctx: ServerContext,
  log: SpireLogger,
  param: NewX509SVIDParams,
  entries: ReadonlyMap<string, RegistrationEntry>,
): Promise<BatchNewX509SVIDResponse_Result> {
  const fail = (code: Code, what: string, err?: unknown) =>
    create(BatchNewX509SVIDResponse_ResultSchema, {
      status: create(StatusSchema, itemStatus(log, what, err, code)),
    });
  if (param.entryId === '') return fail(Code.InvalidArgument, 'missing entry ID');
  if (param.csr.length === 0) return fail(Code.InvalidArgument, 'missing CSR');
  const entry = entries.get(param.entryId);
  if (!entry) return fail(Code.NotFound, NOT_AUTHORIZED);

  let publicKey: Buffer;
  try {
    publicKey = (await readCsr(param.csr)).publicKeyDer;
  } catch (err) {
    const bad = err instanceof CsrError && err.code === 'ERR_CSR_BAD_SIGNATURE';
    return fail(Code.InvalidArgument, bad ? 'invalid CSR signature' : 'malformed CSR', err);
  }

  try {
    const spiffeId = spiffeIdOf(entry);
    const signed = await ctx.ca.signWorkloadX509Svid({
      spiffeId,
      publicKey,
      dnsNames: entry.dnsNames,
      ttlMs: entry.x509SvidTtl * 1000,
    });
    const expiresAt = Math.floor(signed.notAfterMs / 1000);
    return create(BatchNewX509SVIDResponse_ResultSchema, {
      svid: x509SvidProto(spiffeId, signed.certChain, expiresAt),
      status: create(StatusSchema, OK_STATUS),
    });
  } catch (err) {
    log.child({ [LogField.RegistrationId]: param.entryId }).debug('X509-SVID signing failed');
    return fail(Code.Internal, 'failed to sign X509-SVID', err);
  }
}

/** NewJWTSVID: a JWT-SVID for an entry authorized to the calling agent. */
export async function newJwtSvid(
  ctx: ServerContext,
  log: SpireLogger,
  who: AuthorizedCaller,
  req: NewJWTSVIDRequest,
): Promise<JWTSVID> {
  const entry = authorizedById(ctx, log, who, new Set([req.entryId])).get(req.entryId);
  if (!entry) throw toStatus(log, NOT_AUTHORIZED, undefined, Code.NotFound);
  const spiffeId = spiffeIdOf(entry);
  return signJwtSvid(ctx, log, spiffeId, req.audience, entry.jwtSvidTtl);
}

/**
 * The requested entries that the cache says the calling agent may have, by id. Each is checked
 * on its own (its parents up to the agent), so a call costs the same however many entries the
 * agent has (SPIRE #5801).
 */
function authorizedById(
  ctx: ServerContext,
  log: SpireLogger,
  who: AuthorizedCaller,
  wanted: ReadonlySet<string>,
): Map<string, RegistrationEntry> {
  const agentId = who.agentId;
  if (!agentId) throw statusError(log, Code.Internal, 'caller ID missing from request context');
  const found = new Map<string, RegistrationEntry>();
  for (const id of wanted) {
    const entry = ctx.entries.authorizedEntry(agentId, id);
    if (entry) found.set(id, entry);
  }
  return found;
}
