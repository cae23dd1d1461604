import 'reflect-metadata';
import { KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A certificate with its key pair, in the forms tests need. */
export interface TestCert {
  cert: X509Certificate;
  pem: string;
  privateKey: KeyObject;
  keys: webcrypto.CryptoKeyPair;
}

/** Options of {@link makeCert}. */
export interface MakeCertOptions {
  subject: string;
  issuer?: TestCert;
  ca?: boolean;
  serial?: string;
  uris?: string[];
  keyUsages?: number;
  notBefore?: Date;
  notAfter?: Date;
}

/**
 * Makes a P-256 certificate for tests: self-signed when no issuer is given. CA certificates get
 * basicConstraints cA and keyCertSign|cRLSign; leaves digitalSignature unless `keyUsages` says.
 */
export async function makeCert(o: MakeCertOptions): Promise<TestCert> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(o.ca ?? false, undefined, true),
    new x509.KeyUsagesExtension(
      o.keyUsages ??
        (o.ca
          ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
          : x509.KeyUsageFlags.digitalSignature),
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (o.uris?.length) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(o.uris.map((u) => ({ type: 'url', value: u }))),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: o.serial ?? '01',
    subject: o.subject,
    issuer: o.issuer ? o.issuer.cert.subject.replaceAll('\n', ', ') : o.subject,
    notBefore: o.notBefore ?? new Date(Date.UTC(2029, 0, 1)),
    notAfter: o.notAfter ?? new Date(Date.UTC(2031, 0, 1)),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: o.issuer ? o.issuer.keys.privateKey : keys.privateKey,
    extensions,
  });
  const pem = cert.toString('pem');
  return {
    cert: new X509Certificate(pem),
    pem,
    privateKey: KeyObject.from(keys.privateKey),
    keys,
  };
}
