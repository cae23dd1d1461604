import { KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import {
  CsrError,
  parseCsr,
  readCsr,
  readCsrPublicKey,
} from '../../../../src/server/api/attestation/csr.js';
import { bitString, seq } from '../../../../src/server/credtemplate/der.js';
import { bytesOf, children, readTlv } from '../../../../src/server/credtemplate/der-reader.js';
import { makeCsr } from './support.js';

function flipLastByte(der: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(der);
  copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01;
  return copy;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof CsrError ? err.code : `not a CsrError: ${String(err)}`;
  }
  return 'no error';
}

async function asyncCode(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return err instanceof CsrError ? err.code : `not a CsrError: ${String(err)}`;
  }
  return 'no error';
}

describe('parseCsr (RFC 2986)', () => {
  it('returns the public key and the requested URI and DNS SANs in order', async () => {
    const csr = await makeCsr({
      uris: ['spiffe://example.org/a', 'spiffe://example.org/b'],
      dns: ['a.example.org', '*.example.org'],
    });
    const parsed = parseCsr(csr.der);
    expect(parsed).toEqual({
      publicKeyDer: csr.spki,
      uris: ['spiffe://example.org/a', 'spiffe://example.org/b'],
      dnsNames: ['a.example.org', '*.example.org'],
    });
  });

  it('returns no SANs for a request without an extension request', async () => {
    const csr = await makeCsr();
    expect(parseCsr(csr.der)).toMatchObject({ uris: [], dnsNames: [] });
  });

  it('accepts an RSA PKCS#1 v1.5 SHA-256 request', async () => {
    const alg = {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 2048,
    };
    const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=rsa',
      keys,
      signingAlgorithm: alg,
    });
    const spki = Buffer.from(await crypto.subtle.exportKey('spki', keys.publicKey));
    expect(parseCsr(new Uint8Array(csr.rawData)).publicKeyDer).toEqual(spki);
  });

  const cases: [string, () => Promise<Uint8Array>, string][] = [
    [
      'a signature that does not verify',
      async () => flipLastByte((await makeCsr()).der),
      'ERR_CSR_BAD_SIGNATURE',
    ],
    ['empty input', async () => new Uint8Array(), 'ERR_CSR_MALFORMED'],
    ['a truncated request', async () => (await makeCsr()).der.subarray(0, 40), 'ERR_CSR_MALFORMED'],
    [
      'trailing bytes',
      async () => Buffer.concat([(await makeCsr()).der, Buffer.of(0)]),
      'ERR_CSR_MALFORMED',
    ],
    ['a certificate instead of a request', certificateDer, 'ERR_CSR_MALFORMED'],
  ];
  it.each(cases)('refuses %s', async (_name, make, expected) => {
    const der = await make();
    expect(code(() => parseCsr(der))).toBe(expected);
    expect(await asyncCode(() => readCsr(der))).toBe(expected);
  });

  it('refuses a request carrying one key but signed by another (no proof of possession)', async () => {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
    const a = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const b = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=forged',
      keys: { publicKey: a.publicKey, privateKey: b.privateKey },
      signingAlgorithm: alg,
    });
    expect(code(() => parseCsr(new Uint8Array(csr.rawData)))).toBe('ERR_CSR_BAD_SIGNATURE');
  });
});

async function certificateDer(): Promise<Uint8Array> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=cert',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return new Uint8Array(cert.rawData);
}

describe('readCsr (the hot-path reader) agrees with parseCsr', () => {
  const P384 = { name: 'ECDSA', namedCurve: 'P-384' };
  const RSA = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keyCases: [string, () => Promise<Uint8Array>][] = [
    [
      'a P-256 request (raw point import)',
      async () => (await makeCsr({ dns: ['a.example.org'] })).der,
    ],
    ['a P-384 request (raw point import)', () => csrWith(P384)],
    ['an RSA request (SPKI decode)', () => csrWith(RSA)],
  ];
  it.each(keyCases)('returns what parseCsr returns for %s', async (_name, make) => {
    const der = await make();
    expect(await readCsr(der)).toEqual(parseCsr(der));
  });

  it('refuses a P-256 key whose point is not on the curve (RFC 5480 §2.2)', async () => {
    const der = Uint8Array.from((await makeCsr()).der);
    const spki = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex');
    const at = Buffer.from(der).indexOf(spki) + spki.length;
    der[at + 63] = (der[at + 63] as number) ^ 0x01; // last byte of x: off the curve
    expect(code(() => parseCsr(der))).toBe('ERR_CSR_MALFORMED');
    expect(await asyncCode(() => readCsr(der))).toBe('ERR_CSR_MALFORMED');
  });
});

async function csrWith(alg: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams) {
  const hash = 'hash' in alg ? alg.hash : 'SHA-384';
  const keys = (await webcrypto.subtle.generateKey(alg, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const signingAlgorithm = alg.name === 'ECDSA' ? { name: 'ECDSA', hash } : alg;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=key',
    keys,
    signingAlgorithm,
  });
  return new Uint8Array(csr.rawData);
}

describe('readCsrPublicKey (BatchNewX509SVID: the key only)', () => {
  it('returns the key readCsr returns', async () => {
    const { der, spki } = await makeCsr({
      uris: ['spiffe://example.org/x'],
      dns: ['a.example.org'],
    });
    expect(Buffer.from(await readCsrPublicKey(der)).equals(spki)).toBe(true);
    expect((await readCsr(der)).publicKeyDer.equals(spki)).toBe(true);
  });

  it('refuses what readCsr refuses: bad signature, malformed parts, bad extension request', async () => {
    const { der } = await makeCsr({ dns: ['a.example.org'] });
    const cases: [Uint8Array, string][] = [
      [flipLastByte(der), 'ERR_CSR_BAD_SIGNATURE'],
      [Uint8Array.of(0x30, 0x00), 'ERR_CSR_MALFORMED'],
      [await withBrokenSan(), 'ERR_CSR_MALFORMED'],
    ];
    for (const [bad, expected] of cases) {
      expect(await asyncCode(() => readCsr(bad))).toBe(expected);
      expect(await asyncCode(() => readCsrPublicKey(bad))).toBe(expected);
    }
    await expect(readCsrPublicKey(await withBrokenSan())).rejects.toThrow(
      'csr is not a der pkcs#10 request: bad extension request',
    );
  });
});

/**
 * A P-256 request whose signature verifies but whose SAN extension is malformed: the DNS name's
 * length overruns its GeneralNames sequence (X.690 §8.1.3). Re-signed after the change.
 */
async function withBrokenSan(): Promise<Uint8Array> {
  const { der, keys } = await makeCsr({ dns: ['a.example.org'] });
  const outer = readTlv(der, 0);
  const [info, algorithm] = children(der, outer);
  if (!info || !algorithm) throw new Error('makeCsr gave a request without parts');
  const cri = Buffer.from(bytesOf(der, info));
  const name = cri.indexOf(Buffer.from('a.example.org'));
  if (cri[name - 2] !== 0x82 || cri[name - 1] !== 13) throw new Error('unexpected SAN layout');
  cri[name - 1] = 14;
  const privateKey = KeyObject.from(keys.privateKey);
  const signature = sign('sha256', cri, { key: privateKey, dsaEncoding: 'der' });
  return seq(cri, bytesOf(der, algorithm), bitString(signature));
}
