import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../../src/common/config/duration.js';
import { ConfigError } from '../../../src/common/config/errors.js';

describe('parseGoDuration (Go time.ParseDuration syntax)', () => {
  it.each([
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['90s', 90_000],
    ['300ms', 300],
    ['2880m', 172_800_000],
    ['48h', 172_800_000],
    ['0', 0],
    ['-2m', -120_000],
    ['+5s', 5_000],
    ['1500us', 1.5],
    ['.5s', 500],
    ['1h0m0s', 3_600_000],
  ])('parses %s into %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each([
    ['2d', 'invalid duration "2d": unknown unit "d"'],
    ['172800', 'invalid duration "172800": "172800" has no unit'],
    ['', 'invalid duration "": it is empty'],
    ['h', 'invalid duration "h": a number is expected before each unit'],
    ['1h x', 'invalid duration "1h x": unknown unit "h x"'],
    ['.s', 'invalid duration ".s": a number is expected before each unit'],
  ])('rejects %j (D22: no d unit, no bare number)', (text, start) => {
    let err: unknown;
    try {
      parseGoDuration(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG_BAD_DURATION');
    expect((err as ConfigError).message).toBe(
      `${start}; use Go duration syntax such as "1h30m", "90s" or "300ms"`,
    );
  });
});
