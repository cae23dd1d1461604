/** The Entry API's list/count filters in the datastore's terms. */
import type { CountEntriesRequest_Filter } from '../../../gen/spire/api/server/entry/v1/entry_pb.js';
import { FederatesWithMatch_MatchBehavior } from '../../../gen/spire/api/types/federateswith_pb.js';
import { SelectorMatch_MatchBehavior } from '../../../gen/spire/api/types/selector_pb.js';
import type { EntryFilter, MatchMode } from '../../datastore/index.js';
import { ApiInputError, messageOf } from '../convert/errors.js';
import { idFromProto, trustDomainFromString } from '../convert/ids.js';

const SELECTOR_MODES: Record<number, MatchMode> = {
  [SelectorMatch_MatchBehavior.MATCH_EXACT]: 'exact',
  [SelectorMatch_MatchBehavior.MATCH_SUBSET]: 'subset',
  [SelectorMatch_MatchBehavior.MATCH_SUPERSET]: 'superset',
  [SelectorMatch_MatchBehavior.MATCH_ANY]: 'any',
};

const FEDERATES_MODES: Record<number, MatchMode> = {
  [FederatesWithMatch_MatchBehavior.MATCH_EXACT]: 'exact',
  [FederatesWithMatch_MatchBehavior.MATCH_SUBSET]: 'subset',
  [FederatesWithMatch_MatchBehavior.MATCH_SUPERSET]: 'superset',
  [FederatesWithMatch_MatchBehavior.MATCH_ANY]: 'any',
};

/** Converts a request filter (ListEntries and CountEntries share the shape). */
export function entryFilterFromProto(
  f: Omit<CountEntriesRequest_Filter, '$typeName' | '$unknown'> | undefined,
): EntryFilter {
  if (!f) return {};
  const filter: { -readonly [K in keyof EntryFilter]: EntryFilter[K] } = {};
  if (f.bySpiffeId)
    filter.bySpiffeId = malformed('by_spiffe_id', () => idFromProto(f.bySpiffeId).toString());
  if (f.byParentId)
    filter.byParentId = malformed('by_parent_id', () => idFromProto(f.byParentId).toString());
  if (f.bySelectors) {
    const sm = f.bySelectors;
    if (sm.selectors.length === 0)
      throw new ApiInputError('malformed selectors filter: empty selector set');
    const match = SELECTOR_MODES[sm.match];
    if (!match)
      throw new ApiInputError(`malformed selectors filter: unsupported match behavior ${sm.match}`);
    filter.bySelectors = {
      selectors: sm.selectors.map((s) => ({ type: s.type, value: s.value })),
      match,
    };
  }
  if (f.byFederatesWith) {
    const fw = f.byFederatesWith;
    if (fw.trustDomains.length === 0) {
      throw new ApiInputError('malformed federates with filter: empty trust domain set');
    }
    const match = FEDERATES_MODES[fw.match];
    if (!match)
      throw new ApiInputError(
        `malformed federates with filter: unsupported match behavior ${fw.match}`,
      );
    const trustDomains = fw.trustDomains.map((td) =>
      malformed('federates with filter', () => trustDomainFromString(td).name),
    );
    filter.byFederatesWith = { trustDomains, match };
  }
  if (f.byHint !== undefined) filter.byHint = f.byHint;
  if (f.byDownstream !== undefined) filter.byDownstream = f.byDownstream;
  return filter;
}

function malformed<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new ApiInputError(`malformed ${what}: ${messageOf(err)}`, { cause: err });
  }
}
