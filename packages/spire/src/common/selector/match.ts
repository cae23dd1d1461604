import { SelectorErrorCode as Code, SelectorError } from './errors.js';
import { formatSelector, type Selector } from './selector.js';
import { selectorKeySet } from './set.js';

/**
 * True when a registration entry applies to a workload (or node): every one of the entry's
 * selectors is among those attested for the workload, which may have more. An entry with no
 * selectors matches nothing, so a malformed entry can never authorize every caller.
 */
export function entryMatchesSelectors(
  entrySelectors: readonly Selector[],
  attested: Iterable<Selector>,
): boolean {
  return entryMatchesSelectorKeys(entrySelectors, selectorKeySet(attested));
}

/**
 * {@link entryMatchesSelectors} against attested selectors already turned into a key set with
 * `selectorKeySet`, for checking many entries against one workload.
 */
export function entryMatchesSelectorKeys(
  entrySelectors: readonly Selector[],
  attestedKeys: ReadonlySet<string>,
): boolean {
  return (
    entrySelectors.length > 0 && entrySelectors.every((s) => attestedKeys.has(formatSelector(s)))
  );
}

/**
 * How a selector filter compares an entry's selectors E with the filter's selectors F, as
 * SPIRE's entry and agent list APIs do (`SelectorMatch.MatchBehavior`):
 * `exact` E = F; `subset` E ⊆ F; `superset` E ⊇ F; `any` E ∩ F ≠ ∅.
 */
export type SelectorMatchMode = 'exact' | 'subset' | 'superset' | 'any';

/** `SelectorMatch.MatchBehavior` numbers: MATCH_EXACT=0, MATCH_SUBSET=1, MATCH_SUPERSET=2, MATCH_ANY=3. */
const PROTO_MODES: readonly SelectorMatchMode[] = ['exact', 'subset', 'superset', 'any'];

/** The API's default mode (enum value 0). */
export const DEFAULT_API_MATCH_MODE: SelectorMatchMode = 'exact';

/** The default of `spire-server entry show -matchSelectorsOn` (bug-cases-2 D06). */
export const DEFAULT_CLI_MATCH_MODE: SelectorMatchMode = 'superset';

/** Reads a `-matchSelectorsOn` value. Throws {@link SelectorError}. */
export function parseMatchMode(s: string): SelectorMatchMode {
  const mode = PROTO_MODES.find((m) => m === s);
  if (mode === undefined) {
    throw badMode(JSON.stringify(s));
  }

  return mode;
}

/** Reads a `SelectorMatch.MatchBehavior` enum number. Throws {@link SelectorError}. */
export function matchModeFromProto(n: number): SelectorMatchMode {
  const mode = PROTO_MODES[n];
  if (mode === undefined) {
    throw badMode(String(n));
  }

  return mode;
}

/** The `SelectorMatch.MatchBehavior` enum number of a mode. */
export function matchModeToProto(mode: SelectorMatchMode): number {
  return PROTO_MODES.indexOf(mode);
}

/**
 * Compiles a selector filter into a predicate over an entry's selectors. The filter must hold at
 * least one selector (an empty `superset` filter would select everything). Repeats are ignored on
 * both sides. Throws {@link SelectorError}.
 */
export function selectorFilter(
  filter: readonly Selector[],
  mode: SelectorMatchMode,
): (entrySelectors: readonly Selector[]) => boolean {
  if (filter.length === 0) {
    throw new SelectorError(
      Code.EmptyFilter,
      'selector filter is empty: give at least one selector',
    );
  }

  const wanted = selectorKeySet(filter);
  return (entrySelectors) => {
    const have = selectorKeySet(entrySelectors);
    const shared = [...have].filter((key) => wanted.has(key)).length;
    switch (mode) {
      case 'exact':
        return shared === have.size && shared === wanted.size;
      case 'subset':
        return shared === have.size;
      case 'superset':
        return shared === wanted.size;
      case 'any':
        return shared > 0;
    }
  };
}

function badMode(shown: string): SelectorError {
  return new SelectorError(
    Code.BadMatchMode,
    `selector match mode ${shown} is not supported: use exact, subset, superset or any`,
  );
}
