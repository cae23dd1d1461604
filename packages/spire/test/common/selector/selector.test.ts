import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalSelectors,
  compareSelectors,
  formatSelector,
  makeSelector,
  parseSelector,
  type Selector,
  SelectorError,
  sameSelectorSet,
  selectorKey,
} from '../../../src/common/selector/index.js';

function caught(fn: () => unknown): SelectorError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SelectorError) {
      return err;
    }
    throw err;
  }
  throw new Error('expected a SelectorError, nothing was thrown');
}

const sel = (s: string): Selector => parseSelector(s);

describe('parseSelector (CLI form type:value)', () => {
  it.each([
    ['unix:uid:1000', 'unix', 'uid:1000'],
    ['k8s:ns:default', 'k8s', 'ns:default'],
    ['spiffe_id:spiffe://example.org/agent', 'spiffe_id', 'spiffe://example.org/agent'],
    ['docker:label:a:b:c', 'docker', 'label:a:b:c'],
    ['x:y', 'x', 'y'],
    ['unix:path:/usr/bin/svc', 'unix', 'path:/usr/bin/svc'],
  ])('splits %j at the first colon', (input, type, value) => {
    const s = parseSelector(input);
    expect(s).toEqual({ type, value });
    expect(formatSelector(s)).toBe(input);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it.each([
    ['unix', 'ERR_SELECTOR_BAD_FORMAT'],
    ['', 'ERR_SELECTOR_BAD_FORMAT'],
    [':uid:1000', 'ERR_SELECTOR_MISSING_TYPE'],
    ['unix:', 'ERR_SELECTOR_MISSING_VALUE'],
  ])('rejects %j with %s', (input, code) => {
    expect(caught(() => parseSelector(input)).code).toBe(code);
  });

  it('rejects a type containing a colon when built from parts, as SPIRE API validation does', () => {
    const err = caught(() => makeSelector('unix:uid', '1000'));
    expect(err.code).toBe('ERR_SELECTOR_TYPE_HAS_COLON');
    expect(err.message).toBe(
      `selector type "unix:uid" contains ':': the type ends at the first ':'`,
    );
  });
});

describe('selectorKey (key of a selector built from parts, without an object)', () => {
  it.each([
    ['unix', 'uid:1000', 'unix:uid:1000'],
    ['docker', 'label:a:b', 'docker:label:a:b'],
    ['', 'uid:1000', undefined],
    ['unix', '', undefined],
    ['unix:uid', '1000', undefined],
  ])('(%j, %j) is %j, as makeSelector and formatSelector agree', (type, value, want) => {
    expect(selectorKey(type, value)).toBe(want);
    if (want === undefined) expect(() => makeSelector(type, value)).toThrow(SelectorError);
    else expect(formatSelector(makeSelector(type, value))).toBe(want);
  });
});

describe('canonical ordering and dedupe', () => {
  it('sorts by type then value and drops repeats', () => {
    const input = ['unix:uid:1000', 'k8s:ns:b', 'unix:gid:1000', 'k8s:ns:a', 'unix:uid:1000'].map(
      sel,
    );
    expect(canonicalSelectors(input).map(formatSelector)).toEqual([
      'k8s:ns:a',
      'k8s:ns:b',
      'unix:gid:1000',
      'unix:uid:1000',
    ]);
  });

  it('compares UTF-8 bytes as Go does (U+FF5E sorts before U+1F600)', () => {
    const a = makeSelector('t', '\uff5e');
    const b = makeSelector('t', '\u{1f600}');
    expect(compareSelectors(a, b)).toBe(-1);
    expect(compareSelectors(b, a)).toBe(1);
    expect(compareSelectors(makeSelector('a', 'z'), makeSelector('b', 'a'))).toBe(-1);
  });

  it('is independent of input order and idempotent', () => {
    const selArb = fc
      .tuple(fc.constantFrom('unix', 'k8s', 'docker'), fc.string({ minLength: 1, maxLength: 6 }))
      .map(([t, v]) => makeSelector(t, v));
    fc.assert(
      fc.property(fc.array(selArb, { maxLength: 12 }), (list) => {
        const canonical = canonicalSelectors(list).map(formatSelector);
        expect(canonicalSelectors([...list].reverse()).map(formatSelector)).toEqual(canonical);
        expect(canonicalSelectors(canonicalSelectors(list)).map(formatSelector)).toEqual(canonical);
        expect(new Set(canonical).size).toBe(canonical.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('C32: duplicate registration entries are judged by the whole selector set', () => {
  const e1 = ['color:red', 'size:medium'].map(sel);

  it.each([
    ['E2, a subset of E1', ['color:red'], false],
    ['E3, a superset of E1', ['color:red', 'size:medium', 'shape:round'], false],
    [
      'the same set in another order with a repeat',
      ['size:medium', 'color:red', 'color:red'],
      true,
    ],
  ])('%s is a duplicate: %s', (_, selectors, duplicate) => {
    expect(sameSelectorSet(e1, selectors.map(sel))).toBe(duplicate);
  });
});
