// The CSR suite once more with the OpenSSL ECDSA_verify route off (SPIRE_TS_OPENSSL_ECDSA=0):
// where it cannot be bound the server checks EC keys with WebCrypto / createPublicKey and
// crypto.verify, and must accept and refuse exactly the same requests with the same errors.
// Vitest runs each test file in its own process, so the switch holds for this file only.
import { expect, it } from 'vitest';

process.env.SPIRE_TS_OPENSSL_ECDSA = '0';
const { opensslEcdsa } = await import('../../../../src/common/crypto/openssl-ecdsa.js');
await import('./csr.test.js');

it('runs the CSR suite above without the OpenSSL ECDSA_verify route', () => {
  expect(opensslEcdsa()).toBeNull();
});
