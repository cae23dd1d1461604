import { compareSelectors, formatSelector, type Selector } from './selector.js';

/**
 * The canonical form of a selector list: sorted by type then value, duplicates removed. Entries
 * and filters compare and print in this form, so the order selectors were given in never matters.
 */
export function canonicalSelectors(selectors: Iterable<Selector>): readonly Selector[] {
  const unique = new Map<string, Selector>();
  for (const selector of selectors) {
    unique.set(formatSelector(selector), selector);
  }

  return Object.freeze([...unique.values()].sort(compareSelectors));
}

/** The set of `type:value` keys of a selector list, for membership tests. */
export function selectorKeySet(selectors: Iterable<Selector>): Set<string> {
  const keys = new Set<string>();
  for (const selector of selectors) {
    keys.add(formatSelector(selector));
  }

  return keys;
}

/**
 * True when both lists hold the same selector set, ignoring order and repeats. With equal parent
 * and SPIFFE IDs this is what makes two registration entries duplicates (C32): a subset or a
 * superset of another entry's selectors is a different entry.
 */
export function sameSelectorSet(a: Iterable<Selector>, b: Iterable<Selector>): boolean {
  const keysA = selectorKeySet(a);
  const keysB = selectorKeySet(b);
  return keysA.size === keysB.size && [...keysA].every((key) => keysB.has(key));
}
