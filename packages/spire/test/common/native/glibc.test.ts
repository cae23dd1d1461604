import { describe, expect, it } from 'vitest';
import { glibc, optionalBinding } from '../../../src/common/native/glibc.js';

describe('optionalBinding (native functions bound once, on first use)', () => {
  it('binds on the first call only and hands out the same binding after', () => {
    let binds = 0;
    const get = optionalBinding(() => ({ n: ++binds }));
    expect(binds).toBe(0);
    const first = get();
    expect([first, get(), binds]).toEqual([{ n: 1 }, { n: 1 }, 1]);
    expect(get()).toBe(first);
  });

  it('gives null for good when binding throws, without trying again', () => {
    let tries = 0;
    const get = optionalBinding(() => {
      tries++;
      throw new Error('no such symbol');
    });
    expect([get(), get(), tries]).toEqual([null, null, 1]);
  });

  it('loads glibc on Linux, and gives null elsewhere', () => {
    expect(glibc() !== null).toBe(process.platform === 'linux');
  });
});
