import { createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import koffi from 'koffi';
import { describe, expect, it, vi } from 'vitest';
import {
  bindOpensslEcdsa,
  type EcdsaCurve,
  EcPointError,
  type OpensslEcdsa,
} from '../../../src/common/crypto/openssl-ecdsa.js';

const CURVES: readonly [EcdsaCurve, string, number][] = [
  ['P-224', 'secp224r1', 56],
  ['P-256', 'prime256v1', 64],
  ['P-384', 'secp384r1', 96],
  ['P-521', 'secp521r1', 132],
];

/** The order n of P-256 (SEC 2 §2.4.2). */
const P256_N = Buffer.from(
  'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  'hex',
);

function pointOf(key: KeyObject, pointBytes: number): Buffer {
  const spki = key.export({ format: 'der', type: 'spki' });
  return Buffer.from(spki.subarray(spki.length - 1 - pointBytes));
}

/** DER INTEGER of a big-endian magnitude, minimal (X.690 §8.3.2), made positive. */
function integer(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let body = magnitude.subarray(start);
  if ((body[0] as number) & 0x80) body = Buffer.concat([Buffer.of(0), body]);
  return Buffer.concat([Buffer.of(0x02, body.length), body]);
}

/** Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), short lengths. */
function sigValue(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

function mustBind(): OpensslEcdsa {
  const ecdsa = bindOpensslEcdsa();
  if (!ecdsa) throw new Error('OpenSSL ECDSA_verify could not be bound in this process');
  return ecdsa;
}

/** The first error on this thread's OpenSSL error queue, 0 for none. */
const peekError = koffi
  .load(null as unknown as string)
  .func('unsigned long ERR_peek_error(void)') as () => number | bigint;

describe('OpenSSL ECDSA_verify on a point (the CSR proof of possession, RFC 2986 §3)', () => {
  it('binds in this Node.js process on Linux (the route the server uses)', () => {
    expect(process.platform === 'linux' ? bindOpensslEcdsa() !== null : true).toBe(true);
  });

  for (const [curve, nodeName, pointBytes] of CURVES) {
    it(`agrees with crypto.verify on ${curve}: good signatures, altered messages, signatures and keys (RFC 5480 §2.2)`, () => {
      const ecdsa = mustBind();
      for (let i = 0; i < 3; i++) {
        const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: nodeName });
        const other = generateKeyPairSync('ec', { namedCurve: nodeName }).publicKey;
        const point = pointOf(publicKey, pointBytes);
        for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
          const data = Buffer.from(`request ${i} ${hash}`);
          const sig = sign(hash, data, privateKey);
          expect(ecdsa.verify(curve, point, hash, data, sig)).toBe(true);
          // The same signature under another hash, message or key.
          const otherHash = hash === 'sha256' ? 'sha384' : 'sha256';
          expect(ecdsa.verify(curve, point, otherHash, data, sig)).toBe(false);
          expect(ecdsa.verify(curve, point, hash, Buffer.from(`request ${i + 1}`), sig)).toBe(
            false,
          );
          expect(ecdsa.verify(curve, pointOf(other, pointBytes), hash, data, sig)).toBe(false);
          // Every single-byte change of the signature (first key): the verdict crypto.verify gives.
          for (let at = 0; i === 0 && at < sig.length; at++) {
            const bent = Buffer.from(sig);
            bent.writeUInt8(bent.readUInt8(at) ^ (1 << (at % 8)), at);
            expect(ecdsa.verify(curve, point, hash, data, bent)).toBe(
              verify(hash, data, publicKey, bent),
            );
          }
        }
      }
    });
  }

  it('refuses signatures that are not strict DER or have r or s outside [1, n-1], as crypto.verify does', () => {
    const ecdsa = mustBind();
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const point = pointOf(publicKey, 64);
    const data = Buffer.from('encodings');
    const p1363 = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const [r, s] = [p1363.subarray(0, 32), p1363.subarray(32)];
    const good = sigValue(integer(r), integer(s));
    expect(ecdsa.verify('P-256', point, 'sha256', data, good)).toBe(true);
    const zero = Buffer.of(0);
    const paddedR = Buffer.concat([
      Buffer.of(0x02, integer(r).length),
      Buffer.of(0),
      integer(r).subarray(2),
    ]);
    const longForm = Buffer.concat([Buffer.of(0x30, 0x81, good.length - 2), good.subarray(2)]);
    const bad: [string, Buffer][] = [
      ['r = 0', sigValue(integer(zero), integer(s))],
      ['s = 0', sigValue(integer(r), integer(zero))],
      ['r = n', sigValue(integer(P256_N), integer(s))],
      ['s = n', sigValue(integer(r), integer(P256_N))],
      ['r with a redundant leading zero', sigValue(paddedR, integer(s))],
      ['a long-form length', longForm],
      ['a trailing byte', Buffer.concat([good, Buffer.of(0)])],
      ['s missing', sigValue(integer(r))],
      ['r || s in the P1363 form', p1363],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, sig] of bad) {
      expect([what, ecdsa.verify('P-256', point, 'sha256', data, sig)]).toEqual([what, false]);
      expect([what, verify('sha256', data, publicKey, sig)]).toEqual([what, false]);
    }
  });

  it('throws EcPointError for a point that is not on the curve or not of the curve size (SEC 1 §2.3.4)', () => {
    const ecdsa = mustBind();
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const point = pointOf(publicKey, 64);
    const data = Buffer.from('points');
    const sig = sign('sha256', data, privateKey);
    const offCurve = Buffer.from(point);
    offCurve.writeUInt8(offCurve.readUInt8(64) ^ 1, 64);
    const p384 = pointOf(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey, 96);
    for (const bad of [
      offCurve,
      point.subarray(0, 64),
      Buffer.concat([point, Buffer.of(0)]),
      p384,
    ]) {
      expect(() => ecdsa.verify('P-256', bad, 'sha256', data, sig)).toThrow(EcPointError);
    }
    expect(() => ecdsa.verify('P-256', offCurve, 'sha256', data, sig)).toThrow(
      'ec public key is not a point of P-256',
    );
    // The key the failed call left behind verifies nothing afterwards: the next call sets its own.
    expect(ecdsa.verify('P-256', point, 'sha256', data, sig)).toBe(true);
  });

  it("leaves OpenSSL's error queue empty after a refused point and a failed signature (Node reads it after its own calls)", () => {
    const ecdsa = mustBind();
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const point = pointOf(publicKey, 64);
    const data = Buffer.from('errors');
    const offCurve = Buffer.from(point);
    offCurve.writeUInt8(offCurve.readUInt8(64) ^ 1, 64);
    expect(() => ecdsa.verify('P-256', offCurve, 'sha256', data, Buffer.of(0x30, 0))).toThrow(
      EcPointError,
    );
    expect(Number(peekError())).toBe(0);
    expect(ecdsa.verify('P-256', point, 'sha256', data, Buffer.of(0x30, 0))).toBe(false);
    expect(Number(peekError())).toBe(0);
    expect(
      ecdsa.verify('P-256', point, 'sha256', data, sign('sha256', Buffer.of(1), privateKey)),
    ).toBe(false);
    expect(Number(peekError())).toBe(0);
    // Node's own key decoding right after still works and reports its own errors.
    expect(
      createPublicKey(publicKey.export({ format: 'pem', type: 'spki' })).asymmetricKeyType,
    ).toBe('ec');
  });

  it('is off with SPIRE_TS_OPENSSL_ECDSA=0 (the escape hatch): callers keep crypto.verify', async () => {
    vi.resetModules();
    vi.stubEnv('SPIRE_TS_OPENSSL_ECDSA', '0');
    try {
      const fresh = await import('../../../src/common/crypto/openssl-ecdsa.js');
      expect(fresh.opensslEcdsa()).toBeNull();
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
