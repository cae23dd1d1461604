import { readFileSync } from 'node:fs';
import { BundleErrorCode } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../../docs/bundle.md', import.meta.url), 'utf8');
const documented = [...doc.matchAll(/^\| `(ERR_BUNDLE_[A-Z_0-9]+)` \|/gm)].map((m) => m[1]);

describe('docs/bundle.md', () => {
  it('has one row in the error-code table for every BundleErrorCode, and no others', () => {
    expect(documented.sort()).toEqual(Object.values(BundleErrorCode).sort());
  });
});
