import { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import { formatSelector, makeSelector } from '../../common/selector/index.js';
import type { Entry } from '../../gen/spire/api/types/entry_pb.js';

/** A registration entry as the agent's cache keeps it: the server's message plus lookups. */
export interface CachedEntry {
  readonly id: string;
  readonly proto: Entry;
  readonly spiffeId: SpiffeId;
  /** `type:value` keys of the entry's selectors. */
  readonly selectorKeys: readonly string[];
  readonly federatesWith: readonly string[];
  readonly revision: bigint;
}

/**
 * Reads a server entry into a {@link CachedEntry}, or returns undefined for an entry the agent
 * cannot serve (no SPIFFE ID, no selectors, a malformed selector): such an entry never matches
 * anything rather than matching everything.
 */
export function cachedEntry(proto: Entry): CachedEntry | undefined {
  if (!proto.id || !proto.spiffeId || proto.selectors.length === 0) return undefined;
  try {
    const spiffeId = SpiffeId.fromPath(proto.spiffeId.trustDomain, proto.spiffeId.path);
    const selectorKeys = proto.selectors.map((s) => formatSelector(makeSelector(s.type, s.value)));
    return Object.freeze({
      id: proto.id,
      proto,
      spiffeId,
      selectorKeys: Object.freeze(selectorKeys),
      federatesWith: Object.freeze(
        proto.federatesWith.map((td) => TrustDomain.fromString(td).toString()),
      ),
      revision: proto.revisionNumber,
    });
  } catch {
    return undefined;
  }
}
