import { VERSION } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';

describe('package', () => {
  it('exports its version', () => {
    expect(VERSION).toBe('0.1.0');
  });
});
