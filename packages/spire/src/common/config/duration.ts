import { ConfigError, ConfigErrorCode } from './errors.js';

// Milliseconds per unit of Go's time.ParseDuration.
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const COMPONENT = /^(\d*)(?:\.(\d*))?([^\d.]*)/u;

/**
 * Parses a duration in Go `time.ParseDuration` syntax (`"1h30m"`, `"1.5h"`, `"90s"`, `"300ms"`,
 * `"-2m"`, `"0"`) into milliseconds. There is no `d` unit, and a bare number other than `0` has
 * no unit, so both are rejected, as SPIRE rejects them. Throws `ERR_CONFIG_BAD_DURATION`.
 */
export function parseGoDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw badDuration(text, 'it is empty');

  let total = 0;
  while (rest !== '') {
    const m = COMPONENT.exec(rest);
    const [whole, int = '', frac, unit = ''] = m ?? [];
    if (whole === undefined || (int === '' && (frac ?? '') === '')) {
      throw badDuration(text, 'a number is expected before each unit');
    }
    if (unit === '') throw badDuration(text, `"${whole}" has no unit`);
    const perUnit = UNIT_MS[unit];
    if (perUnit === undefined) throw badDuration(text, `unknown unit "${unit}"`);
    total += Number(`${int || '0'}.${frac || '0'}`) * perUnit;
    rest = rest.slice(whole.length);
  }
  return sign * total;
}

function badDuration(text: string, why: string): ConfigError {
  return ConfigError.of(
    ConfigErrorCode.BadDuration,
    `invalid duration "${text}": ${why}; use Go duration syntax such as "1h30m", "90s" or "300ms"`,
  );
}
