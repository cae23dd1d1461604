import { readFileSync } from 'node:fs';
import { MAX_CHAIN_LENGTH, MAX_SIGNATURE_CHECKS, X509SvidErrorCode } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../../../docs/x509svid.md', import.meta.url), 'utf8');
const section = (title: string) => doc.split(/^## /m).find((s) => s.startsWith(title)) ?? '';
const rows = [...section('Error codes').matchAll(/^\| `(ERR_X509SVID_[A-Z_0-9]+)` \|/gm)];

describe('docs/x509svid.md', () => {
  it('has one row in the error-code table for every X509SvidErrorCode, and no others', () => {
    expect(rows.map((m) => m[1]).sort()).toEqual(Object.values(X509SvidErrorCode).sort());
  });

  it('states the chain length and signature-check limits the code enforces', () => {
    expect(doc).toContain(`more than ${MAX_CHAIN_LENGTH} certificates`);
    expect(doc).toContain(`more than ${MAX_SIGNATURE_CHECKS} signature checks`);
  });
});
