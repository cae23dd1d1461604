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
import { CsrError, readCsrPublicKey } from '../attestation/csr.js';
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
 * Two passes over the batch: every item is checked first (entry, CSR and its proof of
 * possession), then every SVID is signed. The results, their order and the checks are those of
 * one pass per item; the CPU per SVID is about a tenth lower (`npm run bench -- server-api`), as
 * the CSR checks and the CA signatures each keep their OpenSSL code and tables in the CPU caches
 * for a whole pass instead of evicting each other's after every item.
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
  const items: CheckedItem[] = [];
  for (const param of req.params) items.push(await checkItem(log, param, entries));
  const results: Buffer[] = [];
  for (const item of items) results.push(item.failed ?? (await signItem(ctx, log, item)));
  return results;
}

/** One item after its checks: the encoded failure, or what its SVID is signed from. */
type CheckedItem =
  | { readonly failed: Buffer }
  | {
      readonly failed?: undefined;
      readonly entryId: string;
      readonly entry: RegistrationEntry;
      readonly publicKey: Buffer;
    };

/** The checks of one item: IDs, the entry's authorization, the CSR and its signature. */
async function checkItem(
  log: SpireLogger,
  param: NewX509SVIDParams,
  entries: ReadonlyMap<string, RegistrationEntry>,
): Promise<CheckedItem> {
  const fail = (code: Code, what: string, err?: unknown) => {
    const status = itemStatus(log, what, err, code);
    return { failed: failureResult(status.code, status.message) };
  };
  if (param.entryId === '') return fail(Code.InvalidArgument, 'missing entry ID');
  if (param.csr.length === 0) return fail(Code.InvalidArgument, 'missing CSR');
  const entry = entries.get(param.entryId);
  if (!entry) return fail(Code.NotFound, NOT_AUTHORIZED);

  try {
    return { entryId: param.entryId, entry, publicKey: await readCsrPublicKey(param.csr) };
  } catch (err) {
    const bad = err instanceof CsrError && err.code === 'ERR_CSR_BAD_SIGNATURE';
    return fail(Code.InvalidArgument, bad ? 'invalid CSR signature' : 'malformed CSR', err);
  }
}

/** The SVID of a checked item, as an encoded `Result`. */
async function signItem(
  ctx: ServerContext,
  log: SpireLogger,
  item: Exclude<CheckedItem, { failed: Buffer }>,
): Promise<Buffer> {
  const { entry, publicKey } = item;
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
