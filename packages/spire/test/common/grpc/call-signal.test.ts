import { describe, expect, it } from 'vitest';
import { CallSignal } from '../../../src/common/grpc/index.js';

describe('CallSignal (the light end-of-call signal of ServerCall)', () => {
  it('is not aborted and has no reason until abort(), then keeps the first reason', () => {
    const signal = new CallSignal();
    expect([signal.aborted, signal.reason]).toEqual([false, undefined]);

    const first = new Error('first');
    signal.abort(first);
    signal.abort(new Error('second'));

    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(first);
  });

  it('calls each listener once, in order; a listener added twice is called once', () => {
    const signal = new CallSignal();
    const calls: string[] = [];
    const a = () => calls.push('a');
    signal.addEventListener('abort', a);
    signal.addEventListener('abort', () => calls.push('b'), { once: true });
    signal.addEventListener('abort', a);

    signal.abort('done');
    signal.abort('again');

    expect(calls).toEqual(['a', 'b']);
  });

  it('never calls a removed listener, nor one added after the abort', () => {
    const signal = new CallSignal();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    signal.addEventListener('abort', removed);
    signal.removeEventListener('abort', removed);
    signal.abort('done');
    signal.addEventListener('abort', () => calls.push('late'));

    expect(calls).toEqual([]);
  });

  it('runs every listener when one throws, then rethrows the first error', () => {
    const signal = new CallSignal();
    const calls: string[] = [];
    signal.addEventListener('abort', () => {
      throw new Error('listener 1 failed');
    });
    signal.addEventListener('abort', () => {
      throw new Error('listener 2 failed');
    });
    signal.addEventListener('abort', () => calls.push('third'));

    expect(() => signal.abort('done')).toThrow('listener 1 failed');
    expect(calls).toEqual(['third']);
    expect(signal.aborted).toBe(true);
  });
});
