import { create, toBinary } from '@bufbuild/protobuf';
import { type SpiffeBundle, SpiffeId } from '@spire-ts/spiffe';
import {
  JWTBundlesResponseSchema,
  type JWTSVIDRequest,
  JWTSVIDResponseSchema,
  type ValidateJWTSVIDRequest,
  ValidateJWTSVIDResponseSchema,
  X509BundlesResponseSchema,
} from '@spire-ts/spiffe/workload-proto';
import type { PeerInfo } from '../../../common/grpc/index.js';
import { LogField, type SpireLogger } from '../../../common/log/index.js';
import type {
  SubscriptionSignal,
  WorkloadCacheView,
  WorkloadSelector,
  WorkloadState,
} from '../../manager/workload-view.js';
import type { CallerAttestor } from '../attestor/caller.js';
import {
  jwtBundlesResponse,
  sameBundleMap,
  workloadBundles,
  x509BundlesResponse,
} from './encode.js';
import { withUniqueHints } from './hints.js';
import { X509SvidResponseCache } from './response-cache.js';
import { WorkloadStatus } from './status.js';
import { validateJwtSvid } from './validate-jwt.js';

/** What one Workload API call brings besides its request message. */
export interface WorkloadCall {
  /** The connection's caller, read once when it opened (SO_PEERCRED on the public socket). */
  readonly peer: PeerInfo | undefined;
  /** Aborts when the call is over (client cancel, deadline, server closing). */
  readonly signal: SubscriptionSignal;
}

/** What {@link WorkloadApiHandler} serves from. */
export interface WorkloadApiHandlerOptions {
  /** The agent's cache, as the manager exposes it to endpoints. */
  readonly view: WorkloadCacheView;
  /** Attests each caller (peer credentials, PID-reuse guard, attestors). */
  readonly attestor: CallerAttestor;
  readonly log: SpireLogger;
  /** `allow_unauthenticated_verifiers`: bundles for callers with no identity (own TD only). */
  readonly allowUnauthenticatedVerifiers?: boolean;
  /** `allowed_foreign_jwt_claims`: extra claims ValidateJWTSVID returns for foreign tokens. */
  readonly allowedForeignJwtClaims?: readonly string[];
}

/**
 * The SPIFFE Workload API (X.509-SVID and JWT-SVID profiles) over the agent's cache, answering
 * with encoded response messages (the transport frames them). Each call attests its caller;
 * streams send the full state at once and again on every change the view reports (Workload API
 * §4.3, §4.4). Refusals are thrown as the statuses of {@link WorkloadStatus}.
 */
export class WorkloadApiHandler {
  readonly #view: WorkloadCacheView;
  readonly #attestor: CallerAttestor;
  readonly #log: SpireLogger;
  readonly #allowUnauthenticated: boolean;
  readonly #foreignClaims: readonly string[];
  readonly #x509Responses = new X509SvidResponseCache();

  constructor(options: WorkloadApiHandlerOptions) {
    this.#view = options.view;
    this.#attestor = options.attestor;
    this.#log = options.log;
    this.#allowUnauthenticated = options.allowUnauthenticatedVerifiers ?? false;
    this.#foreignClaims = options.allowedForeignJwtClaims ?? [];
  }

  /** Workload API §5.2: the caller's X509-SVIDs, pushed again on every change. */
  async *fetchX509SVID(call: WorkloadCall): AsyncGenerator<Uint8Array> {
    const caller = await this.#start(call);
    for await (const state of this.#view.subscribe(caller.selectors, call.signal)) {
      // §5.2.1: a workload with no SVID (any more) is refused; the stream ends with the status.
      if (state.identities.length === 0) throw this.#noIdentity(caller);
      yield this.#x509Responses.encode(state);
    }
  }

  /** Workload API §5.3: X.509 bundles of the own and federated trust domains. */
  async *fetchX509Bundles(call: WorkloadCall): AsyncGenerator<Uint8Array> {
    const caller = await this.#start(call);
    let last: Readonly<Record<string, Uint8Array>> | undefined;
    for await (const state of this.#view.subscribe(caller.selectors, call.signal)) {
      const next = x509BundlesResponse(this.#entitledBundles(state, caller));
      if (last && sameBundleMap(last, next.bundles)) continue;
      last = next.bundles;
      yield toBinary(X509BundlesResponseSchema, next);
    }
  }

  /** Workload API §6.3: JWT bundles (JWK Sets) of the own and federated trust domains. */
  async *fetchJWTBundles(call: WorkloadCall): AsyncGenerator<Uint8Array> {
    const caller = await this.#start(call);
    let last: Readonly<Record<string, Uint8Array>> | undefined;
    for await (const state of this.#view.subscribe(caller.selectors, call.signal)) {
      const next = jwtBundlesResponse(this.#entitledBundles(state, caller));
      if (last && sameBundleMap(last, next.bundles)) continue;
      last = next.bundles;
      yield toBinary(JWTBundlesResponseSchema, next);
    }
  }

  /**
   * Workload API §6.2: JWT-SVIDs for the audience, for every identity or only `spiffe_id`. An ID
   * the caller is not entitled to is PermissionDenied, never an empty answer (bug-cases C24).
   */
  async fetchJWTSVID(req: JWTSVIDRequest, call: WorkloadCall): Promise<Uint8Array> {
    if (req.audience.length === 0) throw WorkloadStatus.missing('audience');
    if (req.audience.includes('')) throw WorkloadStatus.emptyAudience();
    const wanted = req.spiffeId === '' ? undefined : requestedId(req.spiffeId);
    const caller = await this.#start(call);

    const entitled = this.#view.snapshot(caller.selectors).identities;
    if (!entitled.some((identity) => !wanted || identity.spiffeId.equals(wanted))) {
      throw this.#noIdentity(caller);
    }

    let svids: Awaited<ReturnType<WorkloadCacheView['fetchJwtSvids']>>;
    try {
      svids = await this.#view.fetchJwtSvids(caller.selectors, req.audience, wanted);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.#log.error({ ...fields(caller), [LogField.Error]: err }, 'Could not fetch JWT-SVID');
      const ids = wanted ? [wanted] : entitled.map((identity) => identity.spiffeId);
      throw WorkloadStatus.jwtUnavailable(ids.join(', '), reason);
    }
    if (svids.length === 0) throw this.#noIdentity(caller);
    const createdAt = new Map<string, number>();
    for (const { spiffeId, entryCreatedAt } of entitled) {
      const id = spiffeId.toString();
      createdAt.set(id, Math.min(createdAt.get(id) ?? entryCreatedAt, entryCreatedAt));
    }
    const unique = withUniqueHints(
      svids,
      (svid) => svid.hint,
      (svid) => createdAt.get(svid.spiffeId.toString()) ?? Number.POSITIVE_INFINITY,
    );
    const response = create(JWTSVIDResponseSchema, {
      svids: unique.map((svid) => ({
        spiffeId: svid.spiffeId.toString(),
        svid: svid.token,
        hint: svid.hint,
      })),
    });
    return toBinary(JWTSVIDResponseSchema, response);
  }

  /** Workload API §6.4: validates a JWT-SVID with the caller's bundles; returns its claims. */
  async validateJWTSVID(req: ValidateJWTSVIDRequest, call: WorkloadCall): Promise<Uint8Array> {
    if (req.audience === '') throw WorkloadStatus.missing('audience');
    if (req.svid === '') throw WorkloadStatus.missing('svid');
    const caller = await this.#start(call);

    const state = this.#view.snapshot(caller.selectors);
    const result = validateJwtSvid(req.svid, req.audience, this.#entitledBundles(state, caller), {
      ownTrustDomain: state.bundle.trustDomain.name,
      allowedForeignClaims: this.#foreignClaims,
    });
    return toBinary(ValidateJWTSVIDResponseSchema, create(ValidateJWTSVIDResponseSchema, result));
  }

  /** Attests the caller and checks the agent can serve; every failure is a status. */
  async #start(call: WorkloadCall): Promise<Caller> {
    let caller: Caller;
    try {
      caller = await this.#attestor.attest(call.peer);
    } catch (err) {
      this.#log.error({ [LogField.Error]: describe(err) }, 'Workload attestation failed');
      throw WorkloadStatus.attestationFailed();
    }
    if (!this.#view.ready()) throw WorkloadStatus.notReady();
    return caller;
  }

  /** The bundles a caller may see: all of its state's, or own-TD only for verifiers (§5.3). */
  #entitledBundles(state: WorkloadState, caller: Caller): SpiffeBundle[] {
    if (state.identities.length > 0) return workloadBundles(state);
    if (this.#allowUnauthenticated) return [state.bundle];
    throw this.#noIdentity(caller);
  }

  #noIdentity(caller: Caller) {
    this.#log.warn(fields(caller), 'No identity issued');
    return WorkloadStatus.noIdentity();
  }
}

interface Caller {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
  readonly selectors: readonly WorkloadSelector[];
}

function requestedId(raw: string): SpiffeId {
  try {
    return SpiffeId.fromString(raw);
  } catch (err) {
    throw WorkloadStatus.badRequestedId(err instanceof Error ? err.message : String(err));
  }
}

function fields(caller: Caller): Record<string, unknown> {
  return {
    [LogField.CallerPid]: caller.pid,
    [LogField.CallerUid]: caller.uid,
    [LogField.CallerGid]: caller.gid,
    [LogField.Selectors]: caller.selectors.map((s) => `${s.type}:${s.value}`).join(','),
  };
}

// The attestation error and its cause, for the operator's log (never sent to the caller).
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
