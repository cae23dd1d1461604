import { BundleError, BundleErrorCode } from '@spire-ts/spiffe';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonNumber, type JsonValue, parseStrictJson } from '../../src/bundle/json.js';

function plain(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return Number(value.text);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value)
      Object.defineProperty(out, k, { value: plain(v), enumerable: true });
    return out;
  }
  return value;
}

function code(text: string | Uint8Array): string {
  try {
    parseStrictJson(text);
  } catch (err) {
    if (err instanceof BundleError) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('strict JSON reader', () => {
  it('reads what JSON.parse reads, for any JSON text JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(plain(parseStrictJson(text))).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps integer literals exactly (Bundle §4.1.1, 64-bit sequence)', () => {
    const value = parseStrictJson('[9007199254740993, -0, 1.5e300]') as JsonNumber[];
    expect(value.map((n) => n.text)).toEqual(['9007199254740993', '-0', '1.5e300']);
    expect(value[0]?.toBigInt()).toBe(9007199254740993n);
    expect(value[2]?.toBigInt()).toBeUndefined();
  });

  it('reads escapes and keeps member order', () => {
    const value = parseStrictJson('{"b":"\\u00e9\\n\\"\\/","a":[true,false,null]}');
    expect([...(value as Map<string, unknown>).keys()]).toEqual(['b', 'a']);
    expect(plain(value)).toEqual({ b: 'é\n"/', a: [true, false, null] });
  });

  const rejected: [string, string | Uint8Array, string][] = [
    ['a duplicate member (Bundle §5.1.1)', '{"a":1,"a":1}', BundleErrorCode.JsonDuplicateKey],
    ['a duplicate written with an escape', '{"a":1,"\\u0061":2}', BundleErrorCode.JsonDuplicateKey],
    ['a duplicate in a nested object', '[{"x":{"k":1,"k":2}}]', BundleErrorCode.JsonDuplicateKey],
    ['nesting past 64 levels', `${'['.repeat(65)}${']'.repeat(65)}`, BundleErrorCode.JsonTooDeep],
    ['a trailing comma', '[1,]', BundleErrorCode.JsonSyntax],
    ['a leading zero', '01', BundleErrorCode.JsonSyntax],
    ['a bare fraction', '.5', BundleErrorCode.JsonSyntax],
    ['single quotes', "{'a':1}", BundleErrorCode.JsonSyntax],
    ['a raw control character in a string', '"a\u0001"', BundleErrorCode.JsonSyntax],
    ['an unknown escape', '"\\x41"', BundleErrorCode.JsonSyntax],
    ['a short unicode escape', '"\\u00e"', BundleErrorCode.JsonSyntax],
    ['an unterminated string', '"abc', BundleErrorCode.JsonSyntax],
    ['text after the value', '{} {}', BundleErrorCode.JsonSyntax],
    ['empty input', '', BundleErrorCode.JsonSyntax],
    ['a byte-order mark', '\ufeff{}', BundleErrorCode.JsonSyntax],
    ['NaN', 'NaN', BundleErrorCode.JsonSyntax],
    ['a comment', '{}//', BundleErrorCode.JsonSyntax],
    ['bytes that are not UTF-8', Uint8Array.from([0x22, 0xff, 0x22]), BundleErrorCode.JsonSyntax],
  ];
  it.each(rejected)('rejects %s', (_name, text, expected) => {
    expect(code(text)).toBe(expected);
  });

  it('accepts 64 levels of nesting', () => {
    expect(code(`${'['.repeat(64)}${']'.repeat(64)}`)).toBe('accepted');
  });
});
