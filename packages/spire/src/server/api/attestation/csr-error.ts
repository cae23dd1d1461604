import { SpiffeError } from '@spire-ts/spiffe';

/**
 * Errors of CSR parsing; codes `ERR_CSR_MALFORMED`, `ERR_CSR_UNSUPPORTED_KEY`,
 * `ERR_CSR_UNSUPPORTED_ALGORITHM`, `ERR_CSR_BAD_SIGNATURE`.
 */
export class CsrError extends SpiffeError {}

/** ERR_CSR_MALFORMED naming what is wrong. */
export function malformed(what: string, cause?: unknown): CsrError {
  return new CsrError('ERR_CSR_MALFORMED', `csr is not a der pkcs#10 request: ${what}`, { cause });
}
