/**
 * Hand-built CSRs around public keys the server must refuse (or accept), for the
 * proof-of-possession tests: each request is a real PKCS #10 structure (RFC 2986 §4) whose only
 * oddity is its key or its signature algorithm.
 */
import {
  createECDH,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { bitString, oid, seq, unsignedInteger } from '../../../../src/server/credtemplate/der.js';

export const Oids = {
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  p256: '1.2.840.10045.3.1.7',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
} as const;

/** A request for `spki`, its CertificationRequestInfo signed by `signer` under `algorithm`. */
export function csrFor(
  spki: Uint8Array,
  algorithm: string,
  signer: (info: Buffer) => Uint8Array,
): Uint8Array {
  // version 0, an empty subject Name, the key, no attributes ([0] with no content).
  const info = seq(Buffer.from('020100', 'hex'), seq(), spki, Buffer.from('a000', 'hex'));
  return seq(info, seq(oid(algorithm)), bitString(signer(info)));
}

/** An EC SPKI from its AlgorithmIdentifier parameters (DER) and its point bytes. */
export function ecSpki(parameters: Uint8Array, point: Uint8Array): Buffer {
  return seq(seq(oid(Oids.ecPublicKey), parameters), bitString(point));
}

/** A CSR for a real key pair of `curve` (Node's name), SPKI as Node exports it. */
export function csrOnCurve(curve: string, algorithm: string, hash: string): Uint8Array {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return csrFor(spki, algorithm, (info) => sign(hash, info, privateKey));
}

/** A CSR whose key bytes are `point` under `parameters`, signed by `privateKey` (ECDSA SHA-256). */
export function csrWithPoint(
  parameters: Uint8Array,
  point: Uint8Array,
  privateKey: KeyObject,
): Uint8Array {
  return csrFor(ecSpki(parameters, point), Oids.ecdsaWithSha256, (info) =>
    sign('sha256', info, privateKey),
  );
}

// P-256's group order n (SEC 2 §2.4.2).
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/**
 * A P-256 CSR whose key is the point at infinity (SEC 1 §2.3.3: the single octet 0x00), with an
 * ECDSA signature that verifies for that "key" and that anyone can make without any private key:
 * with Q = O, verification computes R = u1·G only, so for any k take r = x(k·G) mod n and
 * s = e·k⁻¹ mod n.
 */
export function infinityKeyCsr(): Uint8Array {
  const spki = ecSpki(oid(Oids.p256), Uint8Array.of(0));
  return csrFor(spki, Oids.ecdsaWithSha256, (info) => {
    const n = P256_ORDER;
    const e = toBigInt(createHash('sha256').update(info).digest()) % n;
    const k = (toBigInt(randomBytes(32)) % (n - 1n)) + 1n;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(k.toString(16).padStart(64, '0'), 'hex'));
    const r = toBigInt(ecdh.getPublicKey().subarray(1, 33)) % n;
    const s = (e * inverse(k, n)) % n;
    return seq(derInteger(r), derInteger(s));
  });
}

/** An RSA SPKI (RFC 3279 §2.3.1) of modulus `n` and public exponent `e`. */
export function rsaSpki(n: bigint, e: bigint): Buffer {
  const integer = (v: bigint) => unsignedInteger(Buffer.from(hexOf(v), 'hex'));
  return seq(seq(oid(Oids.rsaEncryption), Buffer.of(5, 0)), bitString(seq(integer(n), integer(e))));
}

/**
 * A CSR for an RSA "key" whose public exponent is 1, with a sha256WithRSAEncryption signature
 * anyone can make for it: s^1 mod n = s, so the signature is the PKCS #1 v1.5 encoded digest
 * itself (RFC 8017 §9.2), no private key involved.
 */
export function rsaExponentOneCsr(): Uint8Array {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const n = toBigInt(Buffer.from(publicKey.export({ format: 'jwk' }).n as string, 'base64url'));
  return csrFor(rsaSpki(n, 1n), Oids.sha256WithRsa, (info) => {
    const digestInfo = Buffer.concat([
      Buffer.from('3031300d060960864801650304020105000420', 'hex'),
      createHash('sha256').update(info).digest(),
    ]);
    const padding = Buffer.alloc(256 - 3 - digestInfo.length, 0xff);
    return Buffer.concat([Buffer.of(0, 1), padding, Buffer.of(0), digestInfo]);
  });
}

/**
 * A CSR for the Ed25519 public key `encoded` (32 bytes, RFC 8032 §5.1.2) with the signature
 * R = identity point, S = 0. For the identity as the key this verifies with no private key at
 * all: [S]B = identity = R + [k]A for every k.
 */
export function ed25519ForgedCsr(encoded: Uint8Array): Uint8Array {
  const spki = seq(seq(oid(Oids.ed25519)), bitString(encoded));
  const identity = Buffer.alloc(32);
  identity[0] = 1;
  return csrFor(spki, Oids.ed25519, () => Buffer.concat([identity, Buffer.alloc(32)]));
}

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
}

/** a⁻¹ mod m (extended Euclid; m prime, a not 0 mod m). */
function inverse(a: bigint, m: bigint): bigint {
  let [t, nextT, r, nextR] = [0n, 1n, m, a % m];
  while (nextR !== 0n) {
    const q = r / nextR;
    [t, nextT] = [nextT, t - q * nextT];
    [r, nextR] = [nextR, r - q * nextR];
  }
  return ((t % m) + m) % m;
}

function hexOf(value: bigint): string {
  const hex = value.toString(16);
  return hex.length % 2 ? `0${hex}` : hex;
}

function derInteger(value: bigint): Buffer {
  const hex = hexOf(value);
  let body = Buffer.from(hex, 'hex');
  if ((body[0] as number) & 0x80) body = Buffer.concat([Buffer.of(0), body]);
  return Buffer.concat([Buffer.of(0x02, body.length), body]);
}
