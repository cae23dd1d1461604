import { X509Certificate } from 'node:crypto';

/** notAfter of a DER certificate in milliseconds. */
export function certNotAfter(der: Buffer): number {
  return Date.parse(new X509Certificate(der).validTo);
}

/** The DER SubjectPublicKeyInfo of a DER certificate, or undefined for none. */
export function spkiOfCert(der: Buffer | undefined): Buffer | undefined {
  if (!der) return undefined;
  return new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
}
