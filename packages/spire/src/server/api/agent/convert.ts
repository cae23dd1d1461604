/** Agent API conversions: attested nodes to `types.Agent`, and request filters to datastore ones. */
import { create } from '@bufbuild/protobuf';
import { SpiffeId } from '@spire-ts/spiffe';
import { type Agent, type AgentMask, AgentSchema } from '../../../gen/spire/api/types/agent_pb.js';
import {
  type SelectorMatch,
  SelectorMatch_MatchBehavior,
} from '../../../gen/spire/api/types/selector_pb.js';
import type { SPIFFEID } from '../../../gen/spire/api/types/spiffeid_pb.js';
import type {
  AttestedNode,
  MatchMode,
  NodeFilter,
  SelectorMatch as StoreSelectorMatch,
} from '../../datastore/index.js';
import { serialDecimal } from '../attestation/agent-svid.js';
import { spiffeIdProtoOf } from '../attestation/proto.js';
import type { ServerContext } from '../context.js';

/** A request filter that cannot be applied; the message names the field and the rule. */
export class AgentFilterError extends Error {}

/**
 * `types.Agent` of a node, with only the fields the mask asks for (all when absent); the ID is
 * always set. The serial number is shown in decimal, as SPIRE shows it.
 */
export function agentProto(node: AttestedNode, mask?: AgentMask): Agent {
  const all = !mask;
  return create(AgentSchema, {
    id: spiffeIdProtoOf(node.spiffeId),
    attestationType: all || mask.attestationType ? node.attestationDataType : '',
    x509svidSerialNumber:
      all || mask.x509svidSerialNumber ? serialDecimal(node.certSerialNumber) : '',
    x509svidExpiresAt: all || mask.x509svidExpiresAt ? BigInt(node.certNotAfter) : 0n,
    selectors: all || mask.selectors ? node.selectors.map((s) => ({ ...s })) : [],
    banned: all || mask.banned ? node.banned : false,
    canReattest: all || mask.canReattest ? node.canReattest : false,
    agentVersion: all || mask.agentVersion ? node.agentVersion : '',
  });
}

/** The fields of the List and Count filters. */
export interface AgentFilterFields {
  readonly byAttestationType: string;
  readonly bySelectorMatch?: SelectorMatch | undefined;
  readonly byBanned?: boolean | undefined;
  readonly byCanReattest?: boolean | undefined;
  readonly byExpiresBefore: string;
}

/** The datastore filter for a List or Count request filter. */
export function nodeFilter(filter: AgentFilterFields | undefined): NodeFilter {
  if (!filter) return {};
  return {
    ...(filter.byAttestationType ? { byAttestationType: filter.byAttestationType } : {}),
    ...(filter.byBanned === undefined ? {} : { byBanned: filter.byBanned }),
    ...(filter.byCanReattest === undefined ? {} : { byCanReattest: filter.byCanReattest }),
    ...(filter.byExpiresBefore ? { byExpiresBefore: parseGoTime(filter.byExpiresBefore) } : {}),
    ...(filter.bySelectorMatch ? { bySelectorMatch: selectorMatch(filter.bySelectorMatch) } : {}),
  };
}

const MATCH_MODES: Record<number, MatchMode> = {
  [SelectorMatch_MatchBehavior.MATCH_EXACT]: 'exact',
  [SelectorMatch_MatchBehavior.MATCH_SUBSET]: 'subset',
  [SelectorMatch_MatchBehavior.MATCH_SUPERSET]: 'superset',
  [SelectorMatch_MatchBehavior.MATCH_ANY]: 'any',
};

function selectorMatch(m: SelectorMatch): StoreSelectorMatch {
  const match = MATCH_MODES[m.match];
  if (!match) throw new AgentFilterError(`selector match behavior ${m.match} is unknown`);
  if (m.selectors.length === 0) throw new AgentFilterError('selector list must not be empty');
  for (const s of m.selectors) {
    if (s.type === '') throw new AgentFilterError('selector type must not be empty');
    if (s.value === '') throw new AgentFilterError('selector value must not be empty');
  }
  return { match, selectors: m.selectors.map((s) => ({ type: s.type, value: s.value })) };
}

// Go's layout "2006-01-02 15:04:05 -0700 -07", which SPIRE's CLI sends.
const GO_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) [+-]\d{2}$/;

/** Unix seconds of a time in Go's `2006-01-02 15:04:05 -0700 -07` layout. */
export function parseGoTime(text: string): number {
  const m = GO_TIME.exec(text);
  if (!m) {
    throw new AgentFilterError(
      `by_expires_before "${text}" must have the form "2006-01-02 15:04:05 -0700 -07"`,
    );
  }
  const n = (i: number) => Number(m[i]);
  const offsetSeconds = (n(8) * 60 + n(9)) * 60 * (m[7] === '-' ? -1 : 1);
  return Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6)) / 1000 - offsetSeconds;
}

/**
 * An agent ID from the request: a member of our trust domain under `/spire/agent/`
 * (SPIRE's `TrustDomainAgentIDFromProto`). Throws {@link AgentFilterError} naming the rule.
 */
export function agentIdFromProto(ctx: ServerContext, id: SPIFFEID | undefined): SpiffeId {
  if (!id) throw new AgentFilterError('request must name an agent ID');
  let parsed: SpiffeId;
  try {
    parsed = SpiffeId.fromPath(id.trustDomain, id.path);
  } catch (err) {
    throw new AgentFilterError(err instanceof Error ? err.message : String(err));
  }
  if (!parsed.memberOf(ctx.trustDomain)) {
    throw new AgentFilterError(
      `"${parsed}" is not a member of trust domain "${ctx.trustDomain.name}"`,
    );
  }
  if (!parsed.path.startsWith('/spire/agent/')) {
    throw new AgentFilterError(
      `"${parsed}" is not an agent in trust domain "${ctx.trustDomain.name}"`,
    );
  }
  return parsed;
}
