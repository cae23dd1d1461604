import { BundleError, BundleErrorCode } from './errors.js';
import { JsonNumber, type JsonObject } from './json.js';

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * `spiffe_sequence`, when present (Bundle §4.1.1): an integer literal between 0 and 2^64-1, read
 * from its source text so no precision is lost (BUNDLE-16). Anything else rejects the document:
 * a sequence the consumer cannot compare is worse than none.
 */
export function readSequence(root: JsonObject): bigint | undefined {
  const value = integerMember(root, 'spiffe_sequence', 20);
  if (value !== undefined && (value < 0n || value > MAX_UINT64)) {
    throw new BundleError(
      BundleErrorCode.InvalidMember,
      'bundle member "spiffe_sequence" must be between 0 and 2^64-1',
    );
  }
  return value;
}

/**
 * `spiffe_refresh_hint`, when present (Bundle §4.1.2): an integer number of seconds. A value that
 * is not an integer, a string such as `"300"` included, rejects the document (BUNDLE-13, our
 * choice, as go-spiffe does): the spec says MUST be an integer. Zero and negative values are kept
 * as given and clamped where the interval is used (see `refreshIntervalSeconds`).
 */
export function readRefreshHint(root: JsonObject): number | undefined {
  const value = integerMember(root, 'spiffe_refresh_hint', 17);
  if (value === undefined) return undefined;
  if (value > MAX_SAFE || value < -MAX_SAFE) {
    throw new BundleError(
      BundleErrorCode.InvalidMember,
      'bundle member "spiffe_refresh_hint" must be within the safe integer range',
    );
  }
  return Number(value);
}

/** An integer member's value; `maxDigits` bounds the literal before any conversion. */
function integerMember(root: JsonObject, name: string, maxDigits: number): bigint | undefined {
  const member = root.get(name);
  if (member === undefined) return undefined;
  const short = member instanceof JsonNumber && member.text.replace(/^-/, '').length <= maxDigits;
  const value = short ? member.toBigInt() : undefined;
  if (value === undefined) {
    throw new BundleError(
      BundleErrorCode.InvalidMember,
      `bundle member "${name}" must be an integer number`,
    );
  }
  return value;
}
