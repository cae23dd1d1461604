/**
 * The SVIDs an agent asks for on behalf of its workloads: BatchNewX509SVID and NewJWTSVID. The
 * entry must be authorized to this agent in the in-memory cache; the SVID's ID, DNS names and TTL
 * come from the entry, never from the CSR (reference §3.8, CVE-2021-27098).
 */
import { Code } from '@connectrpc/connect';
import { SpiffeId } from '@spire-ts/spiffe';
import type { SpireLogger } from '../../../common/log/index.js';
import { LogField } from '../../../common/log/index.js';
import type {
  BatchNewX509SVIDRequest,
  BatchNewX509SVIDResponse,
  NewJWTSVIDRequest,
  NewX509SVIDParams,
} from '../../../gen/spire/api/server/svid/v1/svid_pb.js';
import type { JWTSVID } from '../../../gen/spire/api/types/jwtsvid_pb.js';
import type { RegistrationEntry } from '../../datastore/index.js';
import { CsrError, type CsrKeyResult, readCsrPublicKeys } from '../attestation/csr.js';
import type { AuthorizedCaller, ServerContext } from '../context.js';
import { itemStatus, statusError, toStatus } from '../status.js';
import {
  batchResponse,
  encodeSpiffeIdMessage,
  failureResult,
  successResult,
} from './batch-results.js';
import { signJwtSvid } from './jwt.js';

const NOT_AUTHORIZED = 'entry not found or not authorized';

/** What every SVID of one entry revision shares: its parsed ID and that ID as a message. */
interface EntryIdentity {
  readonly spiffeId: SpiffeId;
  /** `types.SPIFFEID` encoded, for the results. */
  readonly idMessage: Buffer;
}

/**
 * Identities of cached entries. An updated entry is a new object (the cache replaces it), so an
 * identity is never used for another revision; the object itself also keys the leaf template
 * pieces (subject, SANs) that the X.509 templates keep per SPIFFE ID object.
 */
const identities = new WeakMap<RegistrationEntry, EntryIdentity>();

function identityOf(entry: RegistrationEntry): EntryIdentity {
  let identity = identities.get(entry);
  if (!identity) {
    const spiffeId = SpiffeId.fromString(entry.spiffeId);
    const idMessage = encodeSpiffeIdMessage(spiffeId.trustDomain.name, spiffeId.path);
    identity = { spiffeId, idMessage };
    identities.set(entry, identity);
  }
  return identity;
}

/**
 * BatchNewX509SVID: one result per param, each with its own status. Each CSR's signature is
 * verified (proof of possession, RFC 2986 §3); the SVID's ID, DNS names and TTL come from the
 * entry, whatever the CSR asks for.
 */
export async function batchNewX509Svid(
  ctx: ServerContext,
  log: SpireLogger,
  who: AuthorizedCaller,
  req: BatchNewX509SVIDRequest,
): Promise<BatchNewX509SVIDResponse> {
  return batchResponse(await batchNewX509SvidResults(ctx, log, who, req));
}

/**
 * {@link batchNewX509Svid} as the encoded `results`, one per param in order (see
 * `batch-results.ts`): the gRPC stream handler writes them to the wire without a message.
 *
 * The work runs in passes over the batch: every item's entry is checked, then every CSR key is
 * imported, every CSR signature verified (`readCsrPublicKeys`), and every SVID signed. The
 * results, their order and the checks are those of one pass per item; the CPU per SVID is 5-15%
 * lower (`npm run bench -- ca`, docs/server.md), as each step keeps its OpenSSL code and tables
 * in the CPU caches for a whole pass instead of evicting the others' after every item.
 * @throws ConnectError InvalidArgument `missing parameters` for an empty batch
 */
export async function batchNewX509SvidResults(
  ctx: ServerContext,
  log: SpireLogger,
  who: AuthorizedCaller,
  req: BatchNewX509SVIDRequest,
): Promise<Buffer[]> {
  if (req.params.length === 0) {
    throw statusError(log, Code.InvalidArgument, 'missing parameters');
  }
  const entries = authorizedById(ctx, log, who, new Set(req.params.map((p) => p.entryId)));
  const items = req.params.map((param) => checkParam(log, param, entries));
  const waiting = items.filter((item): item is WaitingItem => item.failed === undefined);
  const keys = await readCsrPublicKeys(waiting.map((item) => item.csr));
  const results: Buffer[] = [];
  let next = 0;
  for (const item of items) {
    if (item.failed) {
      results.push(item.failed);
      continue;
    }
    const key = keys[next++] as CsrKeyResult;
    if ('error' in key) results.push(csrFailure(log, key.error));
    else results.push(await signItem(ctx, log, item, key.publicKey));
  }
  return results;
}

/** An item whose entry passed its checks, waiting for its CSR's. */
interface WaitingItem {
  readonly failed?: undefined;
  readonly entryId: string;
  readonly entry: RegistrationEntry;
  readonly csr: Uint8Array;
}

/** The checks of one item before its CSR: IDs present, the entry authorized to the agent. */
function checkParam(
  log: SpireLogger,
  param: NewX509SVIDParams,
  entries: ReadonlyMap<string, RegistrationEntry>,
): WaitingItem | { readonly failed: Buffer } {
  const fail = (code: Code, what: string) => {
    const status = itemStatus(log, what, undefined, code);
    return { failed: failureResult(status.code, status.message) };
  };
  if (param.entryId === '') return fail(Code.InvalidArgument, 'missing entry ID');
  if (param.csr.length === 0) return fail(Code.InvalidArgument, 'missing CSR');
  const entry = entries.get(param.entryId);
  if (!entry) return fail(Code.NotFound, NOT_AUTHORIZED);
  return { entryId: param.entryId, entry, csr: param.csr };
}

/** The result of an item whose CSR is refused. */
function csrFailure(log: SpireLogger, err: unknown): Buffer {
  const bad = err instanceof CsrError && err.code === 'ERR_CSR_BAD_SIGNATURE';
  const what = bad ? 'invalid CSR signature' : 'malformed CSR';
  const status = itemStatus(log, what, err, Code.InvalidArgument);
  return failureResult(status.code, status.message);
}

/** The SVID of a checked item, as an encoded `Result`. */
async function signItem(
  ctx: ServerContext,
  log: SpireLogger,
  item: WaitingItem,
  publicKey: Buffer,
): Promise<Buffer> {
  const { entry } = item;
  try {
    const { spiffeId, idMessage } = identityOf(entry);
    const signed = await ctx.ca.signWorkloadX509Svid({
      spiffeId,
      publicKey,
      dnsNames: entry.dnsNames,
      ttlMs: entry.x509SvidTtl * 1000,
    });
    return successResult(idMessage, signed.certChain, Math.floor(signed.notAfterMs / 1000));
  } catch (err) {
    log.child({ [LogField.RegistrationId]: item.entryId }).debug('X509-SVID signing failed');
    const status = itemStatus(log, 'failed to sign X509-SVID', err, Code.Internal);
    return failureResult(status.code, status.message);
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
  return signJwtSvid(ctx, log, identityOf(entry).spiffeId, req.audience, entry.jwtSvidTtl);
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
