import { X509SvidErrorCode as Code } from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import type { CertInfo } from '../../../src/svid/x509/certinfo.js';
import { checkSignatureAlgorithm } from '../../../src/svid/x509/signature-algorithm.js';

/** One DER element: tag, definite length, contents. */
function tlv(tag: number, ...contents: (Buffer | string)[]): Buffer {
  const body = Buffer.concat(
    contents.map((c) => (typeof c === 'string' ? Buffer.from(c, 'hex') : c)),
  );
  const length = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

const seq = (...parts: (Buffer | string)[]) => tlv(0x30, ...parts);
const oid = (hex: string) => tlv(0x06, hex);
const NULL = '0500';

const OID = {
  sha256WithRSA: oid('2a864886f70d01010b'),
  sha1WithRSA: oid('2a864886f70d010105'),
  pss: oid('2a864886f70d01010a'),
  mgf1: oid('2a864886f70d010108'),
  sha256: oid('608648016503040201'),
  sha1: oid('2b0e03021a'),
};

/** RSASSA-PSS-params (RFC 4055 §3.1) with the given hash and MGF1 hash; undefined = default. */
function pssParams(hash?: Buffer, mgfHash?: Buffer): Buffer {
  return seq(
    hash ? tlv(0xa0, seq(hash, NULL)) : '',
    mgfHash ? tlv(0xa1, seq(OID.mgf1, seq(mgfHash, NULL))) : '',
    tlv(0xa2, '020120'),
  );
}

function check(algorithmIdentifier: Buffer): { code?: string; message?: string } {
  try {
    checkSignatureAlgorithm(
      { signatureAlgorithm: algorithmIdentifier } as unknown as CertInfo,
      'leaf',
    );
  } catch (err) {
    return err as { code: string; message: string };
  }
  return {};
}

describe('checkSignatureAlgorithm on hand-made AlgorithmIdentifiers', () => {
  const cases: [string, Buffer, string | undefined, string?][] = [
    ['sha256WithRSAEncryption passes', seq(OID.sha256WithRSA, NULL), undefined],
    [
      'sha1WithRSAEncryption is refused',
      seq(OID.sha1WithRSA, NULL),
      Code.InsecureSignatureAlgorithm,
      'leaf is signed with sha1WithRSAEncryption, which relies on the broken hash SHA-1; it must be re-issued with sha-256 or stronger',
    ],
    [
      'RSASSA-PSS without parameters is refused (RFC 4055 §3.1 defaults are SHA-1)',
      seq(OID.pss),
      Code.InsecureSignatureAlgorithm,
    ],
    [
      'RSASSA-PSS with NULL parameters is refused',
      seq(OID.pss, NULL),
      Code.InsecureSignatureAlgorithm,
    ],
    [
      'RSASSA-PSS with an empty parameter SEQUENCE is refused',
      seq(OID.pss, seq()),
      Code.InsecureSignatureAlgorithm,
    ],
    [
      'RSASSA-PSS with SHA-256 and the default MGF1 (SHA-1) is refused',
      seq(OID.pss, pssParams(OID.sha256)),
      Code.InsecureSignatureAlgorithm,
      'leaf is signed with RSASSA-PSS (hash SHA-256, mgf1 hash SHA-1), which relies on the broken hash SHA-1; it must be re-issued with sha-256 or stronger',
    ],
    [
      'RSASSA-PSS with SHA-256 and MGF1 SHA-256 passes',
      seq(OID.pss, pssParams(OID.sha256, OID.sha256)),
      undefined,
    ],
    [
      'RSASSA-PSS with explicit SHA-1 and MGF1 SHA-256 is refused',
      seq(OID.pss, pssParams(OID.sha1, OID.sha256)),
      Code.InsecureSignatureAlgorithm,
    ],
    [
      'an algorithm OID with a leading 0x80 group is malformed (X.690 §8.19.2)',
      seq(tlv(0x06, '8001')),
      Code.MalformedCertificate,
      'leaf signatureAlgorithm is not a valid der algorithm identifier',
    ],
    [
      'an algorithm OID cut inside a group is malformed',
      seq(tlv(0x06, '2a86')),
      Code.MalformedCertificate,
    ],
    [
      'an identifier that is not an OID is malformed',
      seq(tlv(0x02, '01')),
      Code.MalformedCertificate,
    ],
    [
      'RSASSA-PSS with a hash field that is not an AlgorithmIdentifier is malformed',
      seq(OID.pss, seq(tlv(0xa0, tlv(0x02, '01')))),
      Code.MalformedCertificate,
    ],
    [
      'an unknown OID with an arc past 2^53 passes here (openssl then fails its signature)',
      seq(oid(`2a${'ff'.repeat(9)}7f`)),
      undefined,
    ],
  ];

  it.each(cases)('%s', (_name, algorithmIdentifier, code, message) => {
    const err = check(algorithmIdentifier);
    expect(err.code).toBe(code);
    if (message !== undefined) expect(err.message).toBe(message);
  });
});
