import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/common/clock/index.js';

const T0 = Date.UTC(2030, 0, 1);

describe('FakeClock', () => {
  it('starts at the given instant and moves only when advanced', () => {
    const clock = new FakeClock(T0);
    expect(clock.now()).toBe(T0);
    clock.advance(1500);
    expect(clock.now()).toBe(T0 + 1500);
  });

  it('runs due timers in due-time order with now() equal to each due time', () => {
    const clock = new FakeClock(T0);
    const seen: [string, number][] = [];
    clock.setTimer(300, () => seen.push(['c', clock.now() - T0]));
    clock.setTimer(100, () => seen.push(['a', clock.now() - T0]));
    clock.setTimer(200, () => seen.push(['b', clock.now() - T0]));
    clock.setTimer(1000, () => seen.push(['late', clock.now() - T0]));
    clock.advance(300);
    expect(seen).toEqual([
      ['a', 100],
      ['b', 200],
      ['c', 300],
    ]);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('fires an interval once per elapsed period and stops after cancel', () => {
    const clock = new FakeClock(T0);
    const at: number[] = [];
    const timer = clock.setInterval(10_000, () => at.push(clock.now() - T0));
    clock.advance(35_000);
    expect(at).toEqual([10_000, 20_000, 30_000]);
    timer.cancel();
    clock.advance(60_000);
    expect(at).toEqual([10_000, 20_000, 30_000]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('runs a timer scheduled by a timer when it falls due inside the same advance', () => {
    const clock = new FakeClock(T0);
    const at: number[] = [];
    clock.setTimer(100, () => clock.setTimer(50, () => at.push(clock.now() - T0)));
    clock.advance(200);
    expect(at).toEqual([150]);
  });

  it.each([
    ['a negative advance', (c: FakeClock) => c.advance(-1), 'ms must be a non-negative number'],
    ['a move backwards', (c: FakeClock) => c.set(T0 - 1), 'a fake clock never moves backwards'],
    [
      'a zero interval',
      (c: FakeClock) => c.setInterval(0, () => {}),
      'periodMs must be a positive',
    ],
  ])('rejects %s', (_name, act, message) => {
    expect(() => act(new FakeClock(T0))).toThrow(message);
  });
});
