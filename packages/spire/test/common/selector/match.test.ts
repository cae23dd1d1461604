import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_API_MATCH_MODE,
  DEFAULT_CLI_MATCH_MODE,
  entryMatchesSelectorKeys,
  entryMatchesSelectors,
  keyedSelectorValues,
  makeSelector,
  matchModeFromProto,
  matchModeToProto,
  parseMatchMode,
  parseSelector,
  type Selector,
  SelectorError,
  type SelectorMatchMode,
  selectorFilter,
  selectorKeySet,
  splitKeyedValue,
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

const sels = (...s: string[]): Selector[] => s.map(parseSelector);

describe('entry matches a workload when all its selectors are attested (subset)', () => {
  const attested = sels('unix:uid:1000', 'unix:gid:1000', 'unix:path:/usr/bin/svc');

  it.each([
    ['one attested selector', ['unix:uid:1000'], true],
    ['all attested selectors', ['unix:path:/usr/bin/svc', 'unix:gid:1000', 'unix:uid:1000'], true],
    ['one selector not attested', ['unix:uid:1000', 'unix:user:svc'], false],
    ['same value under another type', ['docker:uid:1000'], false],
    ['a value that is only a prefix', ['unix:uid:100'], false],
    ['no selectors at all (never authorizes)', [], false],
  ])('%s -> %s', (_, entry, expected) => {
    expect(entryMatchesSelectors(sels(...entry), attested)).toBe(expected);
    expect(entryMatchesSelectorKeys(sels(...entry), selectorKeySet(attested))).toBe(expected);
  });
});

describe('selector filter modes (SPIRE ListEntries by_selectors)', () => {
  // D06: entry A {uid}, B {uid, gid}, C {gid}, D {other}.
  const entries: Record<string, Selector[]> = {
    A: sels('unix:uid:1000'),
    B: sels('unix:uid:1000', 'unix:gid:1000'),
    C: sels('unix:gid:1000'),
    D: sels('unix:user:other'),
  };
  const pick = (filter: string[], mode: SelectorMatchMode) => {
    const matches = selectorFilter(sels(...filter), mode);
    return Object.keys(entries).filter((name) => matches(entries[name] ?? []));
  };

  it.each([
    [['unix:uid:1000'], 'exact', ['A']],
    [['unix:uid:1000'], 'superset', ['A', 'B']],
    [['unix:uid:1000'], 'subset', ['A']],
    [['unix:uid:1000'], 'any', ['A', 'B']],
    [['unix:uid:1000', 'unix:gid:1000'], 'exact', ['B']],
    [['unix:uid:1000', 'unix:gid:1000'], 'subset', ['A', 'B', 'C']],
    [['unix:uid:1000', 'unix:gid:1000'], 'superset', ['B']],
    [['unix:uid:1000', 'unix:gid:1000'], 'any', ['A', 'B', 'C']],
    [['unix:gid:1000', 'unix:uid:1000', 'unix:uid:1000'], 'exact', ['B']],
  ] as const)('filter %j in mode %s selects %j', (filter, mode, expected) => {
    expect(pick([...filter], mode)).toEqual(expected);
  });

  it('C33: a query by two selectors finds the entry whatever their order (CLI default superset)', () => {
    const entry = sels('unix:user:svc', 'unix:path:/usr/bin/svc');
    for (const filter of [
      ['unix:user:svc', 'unix:path:/usr/bin/svc'],
      ['unix:path:/usr/bin/svc', 'unix:user:svc'],
    ]) {
      expect(selectorFilter(sels(...filter), DEFAULT_CLI_MATCH_MODE)(entry)).toBe(true);
      expect(selectorFilter(sels(...filter), 'exact')(entry)).toBe(true);
    }
  });

  it('rejects an empty filter', () => {
    expect(caught(() => selectorFilter([], 'superset')).code).toBe('ERR_SELECTOR_EMPTY_FILTER');
  });

  it('agrees with set algebra on random entries and filters', () => {
    const pool = sels('a:1', 'a:2', 'b:1', 'b:2', 'c:x:y');
    const listArb = fc.subarray(pool, { minLength: 0 }).chain((l) => fc.shuffledSubarray(l));
    fc.assert(
      fc.property(
        listArb,
        listArb.filter((l) => l.length > 0),
        (entry, filter) => {
          const e = new Set(entry.map((s) => `${s.type}:${s.value}`));
          const f = new Set(filter.map((s) => `${s.type}:${s.value}`));
          const inF = [...e].filter((k) => f.has(k));
          expect(selectorFilter(filter, 'subset')(entry)).toBe(inF.length === e.size);
          expect(selectorFilter(filter, 'superset')(entry)).toBe([...f].every((k) => e.has(k)));
          expect(selectorFilter(filter, 'exact')(entry)).toBe(
            inF.length === e.size && e.size === f.size,
          );
          expect(selectorFilter(filter, 'any')(entry)).toBe(inF.length > 0);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('match mode names and numbers', () => {
  it.each([
    ['exact', 0],
    ['subset', 1],
    ['superset', 2],
    ['any', 3],
  ] as const)('%s is MatchBehavior %d', (name, n) => {
    expect(parseMatchMode(name)).toBe(name);
    expect(matchModeFromProto(n)).toBe(name);
    expect(matchModeToProto(name)).toBe(n);
  });

  it('has exact as the API default and superset as the CLI default (D06)', () => {
    expect(DEFAULT_API_MATCH_MODE).toBe('exact');
    expect(DEFAULT_CLI_MATCH_MODE).toBe('superset');
  });

  it.each([['EXACT'], ['match_any'], ['']])('rejects mode %j', (s) => {
    const err = caught(() => parseMatchMode(s));
    expect(err.code).toBe('ERR_SELECTOR_BAD_MATCH_MODE');
    expect(err.message).toBe(
      `selector match mode ${JSON.stringify(s)} is not supported: use exact, subset, superset or any`,
    );
  });

  it.each([[4], [-1], [1.5]])('rejects MatchBehavior %d', (n) => {
    expect(caught(() => matchModeFromProto(n)).code).toBe('ERR_SELECTOR_BAD_MATCH_MODE');
  });
});

describe('C34: keyed selector values keep every colon after the key', () => {
  const arn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:example-secret';

  it('splits the type at the first colon and the key at the next', () => {
    const s = parseSelector(`aws_secretsmanager:arn:${arn}`);
    expect(s).toEqual({ type: 'aws_secretsmanager', value: `arn:${arn}` });
    expect(splitKeyedValue(s)).toEqual({ key: 'arn', value: arn });
  });

  it('collects keyed values of one type and ignores other types', () => {
    const selectors = sels(
      `aws_secretsmanager:arn:${arn}`,
      'aws_secretsmanager:region:us-east-1',
      'unix:uid:1000',
    );
    expect([...keyedSelectorValues('aws_secretsmanager', selectors)]).toEqual([
      ['arn', arn],
      ['region', 'us-east-1'],
    ]);
  });

  it.each([
    ['a value with no colon', 'aws_secretsmanager:arn'],
    ['an empty key', 'aws_secretsmanager::x'],
    ['an empty keyed value', 'aws_secretsmanager:arn:'],
  ])('reports %s as a validation error, not a crash', (_, input) => {
    const err = caught(() => splitKeyedValue(parseSelector(input)));
    expect(err.code).toBe('ERR_SELECTOR_BAD_KEYED_VALUE');
  });

  it('rejects a key given twice', () => {
    const selectors = [
      makeSelector('gcp_secretmanager', 'name:a'),
      makeSelector('gcp_secretmanager', 'name:b'),
    ];
    expect(caught(() => keyedSelectorValues('gcp_secretmanager', selectors)).code).toBe(
      'ERR_SELECTOR_DUPLICATE_KEY',
    );
  });
});
