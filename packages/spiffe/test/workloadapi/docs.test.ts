import { readFileSync } from 'node:fs';
import { JwtAuthErrorCode, TlsAuthErrorCode, WorkloadApiErrorCode } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';

// Every error code of the Workload API client, the TLS helpers and the JWT bearer helpers has
// one row in its page's error-code table, and the tables name no code that does not exist.
const rowsOf = (page: string, prefix: string) => {
  const doc = readFileSync(new URL(`../../docs/${page}`, import.meta.url), 'utf8');
  const row = new RegExp(`^\\| \`(${prefix}[A-Z_0-9]+)\` \\|`, 'gm');
  return [...doc.matchAll(row)].map((m) => m[1]).sort();
};

describe('error codes are documented', () => {
  it.each([
    ['workloadapi.md', 'ERR_WORKLOADAPI_', WorkloadApiErrorCode],
    ['workloadapi.md', 'ERR_JWTAUTH_', JwtAuthErrorCode],
    ['tls.md', 'ERR_TLS_', TlsAuthErrorCode],
  ])('docs/%s has one row per %s code and no others', (page, prefix, codes) => {
    expect(rowsOf(page, prefix)).toEqual(Object.values(codes).sort());
  });
});
