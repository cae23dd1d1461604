export { SelectorError, SelectorErrorCode } from './errors.js';
export { keyedSelectorValues, splitKeyedValue } from './keyed.js';
export {
  DEFAULT_API_MATCH_MODE,
  DEFAULT_CLI_MATCH_MODE,
  entryMatchesSelectorKeys,
  entryMatchesSelectors,
  matchModeFromProto,
  matchModeToProto,
  parseMatchMode,
  type SelectorMatchMode,
  selectorFilter,
} from './match.js';
export {
  compareSelectors,
  formatSelector,
  makeSelector,
  parseSelector,
  type Selector,
  selectorKey,
} from './selector.js';
export { canonicalSelectors, sameSelectorSet, selectorKeySet } from './set.js';
