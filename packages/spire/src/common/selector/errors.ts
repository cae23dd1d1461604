import { SpiffeError } from '@spire-ts/spiffe';

/** Stable codes of {@link SelectorError}. */
export const SelectorErrorCode = {
  /** The selector type is empty. */
  MissingType: 'ERR_SELECTOR_MISSING_TYPE',
  /** The selector type contains `:` (the first `:` separates type from value). */
  TypeHasColon: 'ERR_SELECTOR_TYPE_HAS_COLON',
  /** The selector value is empty. */
  MissingValue: 'ERR_SELECTOR_MISSING_VALUE',
  /** The CLI form is not `type:value`. */
  BadFormat: 'ERR_SELECTOR_BAD_FORMAT',
  /** A keyed value is not `key:value` (e.g. an SVIDStore selector without `:`). */
  BadKeyedValue: 'ERR_SELECTOR_BAD_KEYED_VALUE',
  /** The same key appears twice among keyed values of one type. */
  DuplicateKey: 'ERR_SELECTOR_DUPLICATE_KEY',
  /** A match mode that is not exact, subset, superset or any. */
  BadMatchMode: 'ERR_SELECTOR_BAD_MATCH_MODE',
  /** A selector filter with no selectors. */
  EmptyFilter: 'ERR_SELECTOR_EMPTY_FILTER',
} as const;

/** One of the {@link SelectorErrorCode} values. */
export type SelectorErrorCode = (typeof SelectorErrorCode)[keyof typeof SelectorErrorCode];

/** A selector, selector filter or keyed selector value is malformed. */
export class SelectorError extends SpiffeError {
  declare readonly code: SelectorErrorCode;

  constructor(code: SelectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
