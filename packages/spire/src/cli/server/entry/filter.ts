/** The filter `entry show` and `entry count` send, from their flags (bug-cases-2 D06). */
import type { FlagValues } from '../../../common/cli/flagset.js';
import { FederatesWithMatch_MatchBehavior as FedMatch } from '../../../gen/spire/api/types/federateswith_pb.js';
import { SelectorMatch_MatchBehavior as SelMatch } from '../../../gen/spire/api/types/selector_pb.js';
import { CliError } from '../client.js';
import { idToProto, parseSelector } from './build.js';

const SELECTOR_MODES: Record<string, SelMatch> = {
  exact: SelMatch.MATCH_EXACT,
  any: SelMatch.MATCH_ANY,
  superset: SelMatch.MATCH_SUPERSET,
  subset: SelMatch.MATCH_SUBSET,
};

const FEDERATES_MODES: Record<string, FedMatch> = {
  exact: FedMatch.MATCH_EXACT,
  any: FedMatch.MATCH_ANY,
  superset: FedMatch.MATCH_SUPERSET,
  subset: FedMatch.MATCH_SUBSET,
};

function mode<T>(table: Record<string, T>, text: string): T {
  const found = table[text];
  if (found === undefined) throw new CliError(`match behavior "${text}" unknown`);
  return found;
}

function parsed<T>(what: string, text: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new CliError(`error parsing ${what} "${text}": ${(err as Error).message}`);
  }
}

/**
 * The ListEntries / CountEntries filter. As in SPIRE, `byDownstream` is always sent with the
 * flag's value, so without `-downstream` only entries that are not downstream are matched; the
 * match modes default to `superset`; an unknown mode is refused.
 */
export function entryFilter(flags: FlagValues) {
  const selectors = (flags.selector as readonly string[] | undefined) ?? [];
  const federatesWith = (flags.federatesWith as readonly string[] | undefined) ?? [];
  const parentID = String(flags.parentID);
  const spiffeID = String(flags.spiffeID);
  const hint = String(flags.hint);
  return {
    ...(parentID !== ''
      ? { byParentId: parsed('parent ID', parentID, () => idToProto(parentID)) }
      : {}),
    ...(spiffeID !== ''
      ? { bySpiffeId: parsed('SPIFFE ID', spiffeID, () => idToProto(spiffeID)) }
      : {}),
    ...(selectors.length > 0
      ? {
          bySelectors: {
            match: mode(SELECTOR_MODES, String(flags.matchSelectorsOn)),
            selectors: selectors.map((s) => {
              try {
                return parseSelector(s);
              } catch (err) {
                throw new CliError(`error parsing selectors: ${(err as Error).message}`);
              }
            }),
          },
        }
      : {}),
    ...(federatesWith.length > 0
      ? {
          byFederatesWith: {
            match: mode(FEDERATES_MODES, String(flags.matchFederatesWithOn)),
            trustDomains: [...federatesWith],
          },
        }
      : {}),
    ...(hint !== '' ? { byHint: hint } : {}),
    byDownstream: flags.downstream === true,
  };
}
