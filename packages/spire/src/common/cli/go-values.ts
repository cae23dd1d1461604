import { parseGoDuration } from '../config/duration.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// Go integer literal syntax accepted by strconv.ParseInt(s, 0, 64): base prefixes, a leading 0
// for octal, and underscores between digits.
const GO_INT =
  /^[+-]?(0[xX](_?[0-9a-fA-F])+|0[bB](_?[01])+|0[oO](_?[0-7])+|0(_?[0-7])*|[1-9](_?\d)*)$/;

/**
 * Parses an integer as Go's `flag` package does (`strconv.ParseInt(s, 0, 64)`): `0x3c` is 60,
 * `010` is 8, `1_000` is 1000. Returns undefined for anything else, including `60s` and `1.5`,
 * and for values outside int64 or beyond the range JavaScript numbers hold exactly.
 */
export function parseGoInt(text: string): number | undefined {
  if (!GO_INT.test(text)) return undefined;
  const negative = text.startsWith('-');
  let body = text.replace(/^[+-]/, '').replaceAll('_', '');
  if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
  if (/^0[oObBxX]/.test(body)) body = `0${body[1]?.toLowerCase()}${body.slice(2)}`;
  const big = BigInt(body) * (negative ? -1n : 1n);
  if (big < INT64_MIN || big > INT64_MAX) return undefined;
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parses a boolean as Go's `strconv.ParseBool`: 1 t T TRUE true True, 0 f F FALSE false False. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** Parses a Go duration into milliseconds; undefined when the syntax is wrong. */
export function parseGoDurationFlag(text: string): number | undefined {
  try {
    return parseGoDuration(text);
  } catch {
    return undefined;
  }
}
