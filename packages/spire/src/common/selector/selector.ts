import { SelectorErrorCode as Code, SelectorError } from './errors.js';

/**
 * A SPIRE selector: an attested property of a node or workload, such as `unix:uid:1000` (type
 * `unix`, value `uid:1000`). The type never contains `:`; the value may (C34).
 */
export interface Selector {
  readonly type: string;
  readonly value: string;
}

/**
 * Builds a validated, frozen selector with SPIRE's rules: type non-empty and free of `:`, value
 * non-empty. Throws {@link SelectorError}.
 */
export function makeSelector(type: string, value: string): Selector {
  if (type === '') {
    throw new SelectorError(Code.MissingType, 'selector type is empty: expected e.g. unix');
  }

  if (type.includes(':')) {
    throw new SelectorError(
      Code.TypeHasColon,
      `selector type ${JSON.stringify(type)} contains ':': the type ends at the first ':'`,
    );
  }

  if (value === '') {
    throw new SelectorError(
      Code.MissingValue,
      `selector value is empty for type ${JSON.stringify(type)}: expected e.g. ${type}:uid:1000`,
    );
  }

  return Object.freeze({ type, value });
}

/**
 * Parses the CLI form `type:value` (`-selector unix:uid:1000`): the type ends at the first `:`
 * and the rest, colons included, is the value. Throws {@link SelectorError}.
 */
export function parseSelector(s: string): Selector {
  const colon = s.indexOf(':');
  if (colon === -1) {
    throw new SelectorError(
      Code.BadFormat,
      `selector ${JSON.stringify(s)} must be formatted as type:value, e.g. unix:uid:1000`,
    );
  }

  return makeSelector(s.slice(0, colon), s.slice(colon + 1));
}

/**
 * The `type:value` key of a selector, or undefined when {@link makeSelector} would refuse it
 * (empty type or value, `:` in the type): for hot paths that only compare keys, with no object
 * made and nothing thrown (the Workload API builds one per caller selector per call, issue 4).
 */
export function selectorKey(type: string, value: string): string | undefined {
  if (type === '' || value === '' || type.includes(':')) return undefined;
  return `${type}:${value}`;
}

/** The CLI form `type:value`; unambiguous because a type holds no `:`. */
export function formatSelector(selector: Selector): string {
  return `${selector.type}:${selector.value}`;
}

/** SPIRE's selector order: by type, then by value, comparing UTF-8 bytes as Go does. */
export function compareSelectors(a: Selector, b: Selector): number {
  return compareBytes(a.type, b.type) || compareBytes(a.value, b.value);
}

const BELOW_SURROGATES = /^[\u0000-\ud7ff]*$/;

function compareBytes(a: string, b: string): number {
  if (a === b) {
    return 0;
  }

  // UTF-16 unit order equals UTF-8 byte order while neither string reaches U+D800.
  if (BELOW_SURROGATES.test(a) && BELOW_SURROGATES.test(b)) {
    return a < b ? -1 : 1;
  }

  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
