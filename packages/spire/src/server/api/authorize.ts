/**
 * Authorization of every server API call (reference §3.3, §3.8, §3.9), as SPIRE's authorization
 * middleware does it with its default policy.
 *
 * How it is wired: the server runs {@link authorizationInterceptor} in front of every service,
 * so no handler can be reached without passing the policy (a method absent from the policy is
 * refused). The interceptor stores the {@link AuthorizedCaller} in the call's context values;
 * a handler that needs to know who called uses {@link authorize} (which returns the stored
 * result, or runs the check itself when a service is served without the interceptor).
 */
import {
  Code,
  ConnectError,
  createContextKey,
  type HandlerContext,
  type Interceptor,
} from '@connectrpc/connect';
import type { SpiffeId } from '@spire-ts/spiffe';
import { peerContextKey } from '../../common/grpc/index.js';
import { LogField } from '../../common/log/index.js';
import {
  PermissionDeniedDetails_Reason,
  PermissionDeniedDetailsSchema,
  type PermissionDeniedDetails_Reason as Reason,
} from '../../gen/spire/api/types/status_pb.js';
import { type NodeStatus, nodeStatusOf } from '../cache/node-status.js';
import { CallerVerificationError, callerFromPeer } from './caller.js';
import type { AuthorizedCaller, Caller, CallerClass, ServerContext } from './context.js';
import { allowedClasses } from './policy.js';

interface StoredAuthorization {
  readonly method: string;
  readonly result: AuthorizedCaller;
}

/** Context key under which the interceptor leaves the authorized caller for the handler. */
export const authorizedCallerKey = createContextKey<StoredAuthorization | undefined>(undefined, {
  description: 'authorized caller',
});

/** The full gRPC method name of a call, `/<package>.<Service>/<Method>`. */
export function fullMethodOf(handler: Pick<HandlerContext, 'service' | 'method'>): string {
  return `/${handler.service.typeName}/${handler.method.name}`;
}

/**
 * Checks that the caller of this RPC may call `method` under the default policy and returns who
 * it is with the classes it belongs to.
 * @throws ConnectError PermissionDenied `authorization denied for method <method>` (with a
 *   `spire.api.types.PermissionDeniedDetails` detail for agents refused for a reason),
 *   Unauthenticated for a client certificate that is not a valid X509-SVID
 */
export async function authorize(
  ctx: ServerContext,
  method: string,
  handler: HandlerContext,
): Promise<AuthorizedCaller> {
  const stored = handler.values.get(authorizedCallerKey);
  if (stored?.method === method) return stored.result;
  const result = await authorizeCall(ctx, method, handler.values.get(peerContextKey));
  handler.values.set(authorizedCallerKey, { method, result });
  return result;
}

/**
 * A Connect interceptor that authorizes every call before its handler runs, keyed by the
 * method's full name, and stores the result for {@link authorize}.
 */
export function authorizationInterceptor(ctx: ServerContext): Interceptor {
  return (next) => async (req) => {
    const method = `/${req.service.typeName}/${req.method.name}`;
    const result = await authorizeCall(ctx, method, req.contextValues.get(peerContextKey));
    req.contextValues.set(authorizedCallerKey, { method, result });
    return next(req);
  };
}

/** The check itself, from the method name and the connection's peer. */
export async function authorizeCall(
  ctx: ServerContext,
  method: string,
  peer: Parameters<typeof callerFromPeer>[1],
): Promise<AuthorizedCaller> {
  const allowed = allowedClasses(method);
  let caller: Caller;
  try {
    caller = await callerFromPeer(ctx, peer);
  } catch (err) {
    throw await deniedForBadCertificate(ctx, method, allowed, err);
  }
  if (!allowed) throw denied(ctx, method, caller);

  const classes = new Set<CallerClass>();
  if (allowed.has('any')) classes.add('any');
  if (caller.kind === 'local' && allowed.has('local')) classes.add('local');
  let reason: Reason | undefined;
  if (caller.kind === 'x509') {
    if (allowed.has('admin') && (await isAdmin(ctx, caller.id))) classes.add('admin');
    if (allowed.has('downstream') && (await isDownstream(ctx, caller.id))) {
      classes.add('downstream');
    }
    if (allowed.has('agent') && isAgentPath(ctx, caller.id)) {
      reason = await checkAgent(ctx, caller);
      if (reason === undefined) classes.add('agent');
    }
  }
  if (classes.size === 0) throw denied(ctx, method, caller, reason);
  const agentId = classes.has('agent') && caller.kind === 'x509' ? caller.id.toString() : undefined;
  return { caller, classes, ...(agentId ? { agentId } : {}) };
}

/** Admin: the ID is in `admin_ids`, or an entry for that ID has `admin = true` (§3.9). */
async function isAdmin(ctx: ServerContext, id: SpiffeId): Promise<boolean> {
  const text = id.toString();
  if (ctx.config.admin_ids.includes(text)) return true;
  const { items } = await ctx.datastore.listEntries({ bySpiffeId: text });
  return items.some((e) => e.admin);
}

/** Downstream: an entry for that ID has `downstream = true` (§3.9). */
async function isDownstream(ctx: ServerContext, id: SpiffeId): Promise<boolean> {
  const { items } = await ctx.datastore.listEntries({ bySpiffeId: id.toString() });
  return items.some((e) => e.downstream);
}

/** Agent IDs live under `/spire/agent/` of our own trust domain. */
function isAgentPath(ctx: ServerContext, id: SpiffeId): boolean {
  return id.trustDomain.equals(ctx.trustDomain) && id.path.startsWith('/spire/agent/');
}

/**
 * Reference §3.8: the agent's SVID must be unexpired, its node attested and not banned, and the
 * SVID's serial the node's current one, or its new one (which this first use makes current).
 * Returns the reason to refuse, or undefined when the agent is active. The node's status comes
 * from the in-memory node-status cache, which every change to the node clears, so a ban or an
 * evict is seen by the very next call; only a miss reads the datastore.
 */
async function checkAgent(
  ctx: ServerContext,
  caller: Extract<Caller, { kind: 'x509' }>,
): Promise<Reason | undefined> {
  const id = caller.id.toString();
  if (ctx.clock.now() >= caller.expiresAt * 1000) {
    agentLog(ctx, id).error('Agent SVID is expired');
    return PermissionDeniedDetails_Reason.AGENT_EXPIRED;
  }
  const node = await ctx.entries.nodeStatus.get(id, (agentId) => loadNodeStatus(ctx, agentId));
  if (!node) {
    agentLog(ctx, id).error('Agent is not attested');
    return PermissionDeniedDetails_Reason.AGENT_NOT_ATTESTED;
  }
  if (node.banned) {
    agentLog(ctx, id).error('Agent is banned');
    return PermissionDeniedDetails_Reason.AGENT_BANNED;
  }
  if (node.serial === caller.serialNumber) return undefined;
  if (node.newSerial !== '' && node.newSerial === caller.serialNumber) {
    await promoteOnce(ctx, id, node);
    return undefined;
  }
  agentLog(ctx, id).error(
    { [LogField.SerialNumber]: caller.serialNumber, expected: node.serial },
    'Agent SVID is not active',
  );
  return PermissionDeniedDetails_Reason.AGENT_NOT_ACTIVE;
}

function agentLog(ctx: ServerContext, id: string) {
  return ctx.log.child({ [LogField.CallerId]: id });
}

async function loadNodeStatus(ctx: ServerContext, id: string): Promise<NodeStatus | undefined> {
  const node = await ctx.datastore.fetchAttestedNode(id);
  return node ? nodeStatusOf(node) : undefined;
}

/**
 * Promotions by the status they were decided on: every call that saw the same cached status
 * shares one write, and the write's change notice replaces that status for later calls.
 */
const promotions = new WeakMap<NodeStatus, Promise<void>>();

function promoteOnce(ctx: ServerContext, id: string, node: NodeStatus): Promise<void> {
  let done = promotions.get(node);
  if (!done) {
    // A failed write is forgotten, so that the next call tries again.
    done = promoteNewSerial(ctx, id, node).catch((err: unknown) => {
      promotions.delete(node);
      throw err;
    });
    promotions.set(node, done);
  }
  return done;
}

/**
 * The renewed SVID is in use: it becomes the node's current one (§3.8). This is the only
 * datastore write of the check, made once: the change notice clears the cached status.
 */
async function promoteNewSerial(ctx: ServerContext, id: string, node: NodeStatus): Promise<void> {
  try {
    await ctx.datastore.updateAttestedNode(
      {
        spiffeId: id,
        attestationDataType: '',
        certSerialNumber: node.newCertSerialNumber,
        certNotAfter: node.newCertNotAfter,
        newCertSerialNumber: '',
        newCertNotAfter: 0,
      },
      {
        certSerialNumber: true,
        certNotAfter: true,
        newCertSerialNumber: true,
        newCertNotAfter: true,
      },
    );
  } catch (err) {
    ctx.log.error({ [LogField.Error]: err }, 'Unable to activate the new agent SVID');
    throw new ConnectError(
      `unable to activate the new agent SVID: ${err instanceof Error ? err.message : String(err)}`,
      Code.Internal,
    );
  }
  await ctx.changed.nodes([id]);
}

/** SPIRE's refusal: PermissionDenied naming the method, with the agent reason as a detail. */
function denied(
  ctx: ServerContext,
  method: string,
  caller: Caller | undefined,
  reason?: Reason,
): ConnectError {
  const details =
    reason === undefined ? [] : [{ desc: PermissionDeniedDetailsSchema, value: { reason } }];
  const err = new ConnectError(
    `authorization denied for method ${method}`,
    Code.PermissionDenied,
    undefined,
    details,
  );
  ctx.log.error(
    { ...callerFields(caller), [LogField.Error]: err.rawMessage },
    'Failed to authenticate caller',
  );
  return err;
}

/**
 * A client certificate that does not verify. An expired agent SVID is reported as SPIRE reports
 * it (PermissionDenied with AGENT_EXPIRED); anything else is Unauthenticated.
 */
async function deniedForBadCertificate(
  ctx: ServerContext,
  method: string,
  allowed: ReadonlySet<CallerClass> | undefined,
  err: unknown,
): Promise<ConnectError> {
  if (!(err instanceof CallerVerificationError)) return ConnectError.from(err);
  const { id, expiresAt } = err.leaf;
  const expired = expiresAt * 1000 <= ctx.clock.now();
  if (allowed?.has('agent') && id && isAgentPath(ctx, id) && expired) {
    ctx.log.error({ [LogField.CallerId]: id.toString() }, 'Agent SVID is expired');
    return denied(ctx, method, undefined, PermissionDeniedDetails_Reason.AGENT_EXPIRED);
  }
  ctx.log.error({ [LogField.Error]: err.rawMessage }, 'Failed to authenticate caller');
  return err;
}

function callerFields(caller: Caller | undefined): Record<string, unknown> {
  if (!caller) return {};
  if (caller.kind === 'local') {
    return {
      [LogField.CallerUid]: caller.uid,
      [LogField.CallerGid]: caller.gid,
      [LogField.CallerPid]: caller.pid,
    };
  }
  if (caller.kind === 'x509') {
    return {
      [LogField.CallerAddr]: caller.remoteAddress,
      [LogField.CallerId]: caller.id.toString(),
    };
  }
  return { [LogField.CallerAddr]: caller.remoteAddress };
}

/** The authorized caller stored for this call by the interceptor, if any. */
export function authorizedCaller(handler: HandlerContext): AuthorizedCaller | undefined {
  return handler.values.get(authorizedCallerKey)?.result;
}
