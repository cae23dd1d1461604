import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  assertUsablePublicKey,
  certificateKeyProblem,
  ecPublicKeyProblem,
  PublicKeyError,
  spkiPointProblem,
} from '@spire-ts/spiffe';
import { describe, expect, it } from 'vitest';
import { createCa, createLeaf } from '../support/certs.js';
import { withSubjectKey } from '../support/infinity-key.js';

const P256_ALG = '301306072a8648ce3d020106082a8648ce3d030107';
const P384_ALG = '301006072a8648ce3d020106052b81040022';

/** An EC subjectPublicKeyInfo (short-form lengths) with the given BIT STRING content. */
function spki(alg: string, bitString: string): Buffer {
  const bits = `03${(bitString.length / 2).toString(16).padStart(2, '0')}${bitString}`;
  const body = alg + bits;
  return Buffer.from(`30${(body.length / 2).toString(16).padStart(2, '0')}${body}`, 'hex');
}

function load(der: Buffer): KeyObject {
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const point = p256.publicKey.export({ type: 'spki', format: 'der' }).subarray(-65);
const compressed = `0${2 + ((point[64] as number) & 1)}${point.subarray(1, 33).toString('hex')}`;

describe('ecPublicKeyProblem', () => {
  it.each([
    ['generated P-256 public key', p256.publicKey, undefined],
    ['generated P-256 private key', p256.privateKey, undefined],
    ['generated P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey, undefined],
    ['generated P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey, undefined],
    ['ed25519', generateKeyPairSync('ed25519').publicKey, undefined],
    ['P-256 point at infinity', load(spki(P256_ALG, '0000')), 'is the ec point at infinity'],
    ['P-384 point at infinity', load(spki(P384_ALG, '0000')), 'is the ec point at infinity'],
    [
      'compressed P-256 point',
      load(spki(P256_ALG, `00${compressed}`)),
      'is an ec point not in uncompressed form (04 || x || y)',
    ],
  ])('%s', (_name, key, expected) => {
    expect(ecPublicKeyProblem(key)).toBe(expected);
  });
});

describe('spkiPointProblem', () => {
  it.each([
    ['uncompressed P-256', spki(P256_ALG, `00${point.toString('hex')}`), undefined],
    ['point at infinity', spki(P256_ALG, '0000'), 'is the ec point at infinity'],
    [
      'empty point',
      spki(P256_ALG, '00'),
      'is an ec key whose point is not a whole-byte bit string',
    ],
    [
      'unused bits',
      spki(P256_ALG, `01${point.toString('hex')}`),
      'is an ec key whose point is not a whole-byte bit string',
    ],
    [
      'P-256 point under a P-384 curve',
      spki(P384_ALG, `00${point.toString('hex')}`),
      'is an ec point of 65 bytes; P-384 points are 97 bytes',
    ],
    [
      'curve given as explicit parameters',
      spki('300b06072a8648ce3d02013000', `00${point.toString('hex')}`),
      'is an ec key that does not name its curve',
    ],
  ])('%s', (_name, der, expected) => {
    expect(spkiPointProblem(der)).toBe(expected);
  });

  it('reads a P-521 key, whose bit string has a long-form length', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey;
    expect(spkiPointProblem(key.export({ type: 'spki', format: 'der' }))).toBeUndefined();
  });
});

describe('assertUsablePublicKey', () => {
  it('throws ERR_PUBLIC_KEY_UNUSABLE naming the key', () => {
    const key = load(spki(P256_ALG, '0000'));
    expect(() => assertUsablePublicKey(key, 'test key')).toThrow(PublicKeyError);
    expect(() => assertUsablePublicKey(key, 'test key')).toThrow(
      expect.objectContaining({
        code: 'ERR_PUBLIC_KEY_UNUSABLE',
        message: 'test key is the ec point at infinity',
      }),
    );
  });

  it('accepts a usable key', () => {
    expect(() => assertUsablePublicKey(p256.publicKey, 'test key')).not.toThrow();
  });
});

describe('certificateKeyProblem', () => {
  const ca = createCa();
  it.each([
    ['P-256 leaf', createLeaf(ca).cert, undefined],
    ['RSA leaf', createLeaf(ca, { keyAlgorithm: 'rsa-2048' }).cert, undefined],
    ['P-384 leaf', createLeaf(ca, { keyAlgorithm: 'ec-p384' }).cert, undefined],
    [
      'leaf at the point at infinity',
      withSubjectKey(createLeaf(ca).cert, ca.privateKey),
      'is the ec point at infinity',
    ],
    [
      'leaf with a compressed point',
      withSubjectKey(createLeaf(ca).cert, ca.privateKey, spki(P256_ALG, `00${compressed}`)),
      'is an ec point not in uncompressed form (04 || x || y)',
    ],
  ])('%s', (_name, cert, expected) => {
    expect(certificateKeyProblem(cert)).toBe(expected);
  });
});
