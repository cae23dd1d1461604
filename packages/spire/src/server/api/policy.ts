/**
 * SPIRE's default authorization policy (`pkg/server/authpolicy/policy_data.json` with
 * `policy.rego`): for each full gRPC method, which caller classes may call it. A method missing
 * from this table is refused for everyone (deny by default).
 */
import type { CallerClass } from './context.js';

const ANY: readonly CallerClass[] = ['any'];
const LOCAL: readonly CallerClass[] = ['local'];
const LOCAL_OR_ADMIN: readonly CallerClass[] = ['local', 'admin'];
const LOCAL_ADMIN_OR_AGENT: readonly CallerClass[] = ['local', 'admin', 'agent'];
const AGENT: readonly CallerClass[] = ['agent'];
const DOWNSTREAM: readonly CallerClass[] = ['downstream'];

const AGENT_API = 'spire.api.server.agent.v1.Agent';
const BUNDLE_API = 'spire.api.server.bundle.v1.Bundle';
const DEBUG_API = 'spire.api.server.debug.v1.Debug';
const ENTRY_API = 'spire.api.server.entry.v1.Entry';
const HEALTH_API = 'grpc.health.v1.Health';
const LOCALAUTHORITY_API = 'spire.api.server.localauthority.v1.LocalAuthority';
const LOGGER_API = 'spire.api.server.logger.v1.Logger';
const SVID_API = 'spire.api.server.svid.v1.SVID';
const TRUSTDOMAIN_API = 'spire.api.server.trustdomain.v1.TrustDomain';

// Reference §3.3, auth column; per-method flags as in SPIRE's policy_data.json.
const RULES: Record<string, Record<string, readonly CallerClass[]>> = {
  [AGENT_API]: {
    CountAgents: LOCAL_OR_ADMIN,
    ListAgents: LOCAL_OR_ADMIN,
    GetAgent: LOCAL_OR_ADMIN,
    DeleteAgent: LOCAL_OR_ADMIN,
    BanAgent: LOCAL_OR_ADMIN,
    AttestAgent: ANY,
    RenewAgent: AGENT,
    CreateJoinToken: LOCAL_OR_ADMIN,
    PostStatus: AGENT,
  },
  [BUNDLE_API]: {
    GetBundle: ANY,
    AppendBundle: LOCAL_OR_ADMIN,
    PublishJWTAuthority: DOWNSTREAM,
    PublishWITAuthority: DOWNSTREAM,
    CountBundles: LOCAL_OR_ADMIN,
    ListFederatedBundles: LOCAL_OR_ADMIN,
    GetFederatedBundle: LOCAL_ADMIN_OR_AGENT,
    BatchCreateFederatedBundle: LOCAL_OR_ADMIN,
    BatchUpdateFederatedBundle: LOCAL_OR_ADMIN,
    BatchSetFederatedBundle: LOCAL_OR_ADMIN,
    BatchDeleteFederatedBundle: LOCAL_OR_ADMIN,
  },
  [DEBUG_API]: { GetInfo: LOCAL },
  [ENTRY_API]: {
    CountEntries: LOCAL_OR_ADMIN,
    ListEntries: LOCAL_OR_ADMIN,
    GetEntry: LOCAL_OR_ADMIN,
    BatchCreateEntry: LOCAL_OR_ADMIN,
    BatchUpdateEntry: LOCAL_OR_ADMIN,
    BatchDeleteEntry: LOCAL_OR_ADMIN,
    GetAuthorizedEntries: AGENT,
    SyncAuthorizedEntries: AGENT,
  },
  [HEALTH_API]: { Check: LOCAL, Watch: LOCAL, List: LOCAL },
  [LOCALAUTHORITY_API]: Object.fromEntries(
    ['JWT', 'X509', 'WIT']
      .flatMap((kind) => ['Get', 'Prepare', 'Activate', 'Taint', 'Revoke'].map((v) => v + kind))
      .map((name) => `${name}Authority`)
      .concat(['TaintX509UpstreamAuthority', 'RevokeX509UpstreamAuthority'])
      .map((name) => [name, LOCAL_OR_ADMIN]),
  ),
  [LOGGER_API]: { GetLogger: LOCAL, SetLogLevel: LOCAL, ResetLogLevel: LOCAL },
  [SVID_API]: {
    MintX509SVID: LOCAL_OR_ADMIN,
    MintJWTSVID: LOCAL_OR_ADMIN,
    MintWITSVID: LOCAL_OR_ADMIN,
    BatchNewX509SVID: AGENT,
    NewJWTSVID: AGENT,
    BatchNewWITSVID: AGENT,
    NewDownstreamX509CA: DOWNSTREAM,
  },
  [TRUSTDOMAIN_API]: {
    ListFederationRelationships: LOCAL_OR_ADMIN,
    GetFederationRelationship: LOCAL_OR_ADMIN,
    BatchCreateFederationRelationship: LOCAL_OR_ADMIN,
    BatchUpdateFederationRelationship: LOCAL_OR_ADMIN,
    BatchDeleteFederationRelationship: LOCAL_OR_ADMIN,
    RefreshBundle: LOCAL_OR_ADMIN,
  },
};

const POLICY: ReadonlyMap<string, ReadonlySet<CallerClass>> = new Map(
  Object.entries(RULES).flatMap(([service, methods]) =>
    Object.entries(methods).map(([method, classes]) => [`/${service}/${method}`, new Set(classes)]),
  ),
);

/**
 * The caller classes allowed to call `fullMethod` (`/spire.api.server.entry.v1.Entry/GetEntry`),
 * or undefined when the method is not in the policy and must be refused.
 */
export function allowedClasses(fullMethod: string): ReadonlySet<CallerClass> | undefined {
  return POLICY.get(fullMethod);
}

/** Every method the default policy names, for documentation and tests. */
export function policyMethods(): string[] {
  return [...POLICY.keys()];
}
