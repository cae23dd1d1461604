/**
 * ECDSA signature verification for a key seen once, through the OpenSSL that Node.js itself runs
 * on. Every CSR carries its own key, so the server's proof-of-possession check pays for a key
 * import per request: on Node.js 20 (OpenSSL 3.0) the cheapest import Node offers, a WebCrypto
 * raw point, plus `crypto.verify` and freeing the key at GC cost about 2.3 times the verification
 * itself (`npm run bench -- csr-pop`). Here the point is set on a reused EC_KEY of its curve and
 * checked with `ECDSA_verify`, the function OpenSSL's own ECDSA provider calls, so the checks are
 * the same: the point must lie on the curve (EC_POINT_oct2point), and the signature must be
 * strict DER with r and s in [1, n-1] (OpenSSL re-encodes it and compares). The symbols come from
 * the running process (Node.js exports OpenSSL's for addons) through koffi. Where they cannot be
 * bound, or the self-test at binding disagrees with `crypto.verify`, {@link opensslEcdsa} gives
 * `null` and callers keep Node's route.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import koffi from 'koffi';

/** The curves Go's crypto/x509 accepts for ECDSA, by their JOSE / WebCrypto name. */
export type EcdsaCurve = 'P-224' | 'P-256' | 'P-384' | 'P-521';

/**
 * Each curve: OpenSSL's NID (obj_mac.h, stable across OpenSSL versions), and for the self-test's
 * keys Node's name of the curve and the bytes of X || Y.
 */
const CURVES: Readonly<Record<EcdsaCurve, { nid: number; nodeName: string; pointBytes: number }>> =
  {
    'P-224': { nid: 713, nodeName: 'secp224r1', pointBytes: 56 },
    'P-256': { nid: 415, nodeName: 'prime256v1', pointBytes: 64 },
    'P-384': { nid: 715, nodeName: 'secp384r1', pointBytes: 96 },
    'P-521': { nid: 716, nodeName: 'secp521r1', pointBytes: 132 },
  };
const CURVE_NAMES = Object.keys(CURVES) as EcdsaCurve[];

export interface OpensslEcdsa {
  /**
   * Whether `point` (0x04 || X || Y) is a point of `curve`, checked as {@link verify} checks it:
   * for callers that must refuse a bad key before they look at anything else.
   */
  isPoint(curve: EcdsaCurve, point: Uint8Array): boolean;
  /**
   * Whether `signature` (a DER Ecdsa-Sig-Value, RFC 5480 §2.2 / RFC 3279 §2.2.3) is a valid
   * ECDSA signature of `data` hashed with `hash` by the key whose uncompressed point
   * (0x04 || X || Y, SEC 1 §2.3.3) is `point`. Callers refuse the point at infinity and
   * compressed points first.
   * @throws EcPointError when `point` is not a point of the curve (nothing is verified then)
   */
  verify(
    curve: EcdsaCurve,
    point: Uint8Array,
    hash: 'sha256' | 'sha384' | 'sha512',
    data: Uint8Array,
    signature: Uint8Array,
  ): boolean;
}

/** A public key point that does not decode to a point of its curve. */
export class EcPointError extends Error {
  constructor(curve: EcdsaCurve) {
    super(`ec public key is not a point of ${curve}`);
    this.name = 'EcPointError';
  }
}

type Pointer = unknown;
interface Bound {
  readonly newKey: (nid: number) => Pointer;
  readonly setPoint: (key: Pointer, buf: Uint8Array, len: number, ctx: null) => number;
  readonly verify: (
    type: number,
    digest: Uint8Array,
    digestLength: number,
    sig: Uint8Array,
    sigLength: number,
    key: Pointer,
  ) => number;
  readonly clearErrors: () => void;
}

/** Bound once per thread (module state is per isolate): the verifier, or `null` for none. */
let bound: OpensslEcdsa | null | undefined;

/**
 * The verifier of this process, or `null` when OpenSSL's functions cannot be bound here or the
 * self-test fails (then use `crypto.verify`). `SPIRE_TS_OPENSSL_ECDSA=0` turns it off, for
 * comparison and as an escape hatch.
 */
export function opensslEcdsa(): OpensslEcdsa | null {
  if (bound === undefined) {
    bound = process.env.SPIRE_TS_OPENSSL_ECDSA === '0' ? null : bindOpensslEcdsa();
  }
  return bound;
}

/** A new binding, checked by the self-test; `null` when either fails. Exported for tests. */
export function bindOpensslEcdsa(): OpensslEcdsa | null {
  let fns: Bound;
  try {
    // dlopen(NULL): the running program and the libraries loaded with it, so the OpenSSL Node
    // uses whether it is linked in (official builds) or a shared libcrypto (distributions).
    const self = koffi.load(null as unknown as string);
    fns = {
      newKey: self.func('void *EC_KEY_new_by_curve_name(int nid)') as Bound['newKey'],
      setPoint: self.func(
        'int EC_KEY_oct2key(void *key, const uint8_t *buf, size_t len, void *ctx)',
      ) as Bound['setPoint'],
      verify: self.func(
        'int ECDSA_verify(int type, const uint8_t *dgst, int dgstlen, const uint8_t *sig, int siglen, void *key)',
      ) as Bound['verify'],
      clearErrors: self.func('void ERR_clear_error(void)') as Bound['clearErrors'],
    };
  } catch {
    return null;
  }
  const keys = new Map<EcdsaCurve, Pointer>();
  for (const curve of CURVE_NAMES) {
    const key = fns.newKey(CURVES[curve].nid);
    if (!key) {
      fns.clearErrors();
      return null;
    }
    keys.set(curve, key);
  }
  /** The curve's reused key holding `point`, or undefined when it is not a point of the curve. */
  const keyWith = (curve: EcdsaCurve, point: Uint8Array): Pointer | undefined => {
    const key = keys.get(curve);
    if (key === undefined) return undefined;
    // The reused key keeps whatever point it had when this fails; nothing verifies with it then.
    if (fns.setPoint(key, point, point.length, null) !== 1) {
      fns.clearErrors();
      return undefined;
    }
    return key;
  };
  const verifier: OpensslEcdsa = {
    isPoint: (curve, point) => keyWith(curve, point) !== undefined,
    verify(curve, point, hash, data, signature) {
      const key = keyWith(curve, point);
      if (key === undefined) throw new EcPointError(curve);
      const digest = createHash(hash).update(data).digest();
      const result = fns.verify(0, digest, digest.length, signature, signature.length, key);
      // 0 is a signature that does not verify, -1 one that does not decode: leave nothing on the
      // thread's OpenSSL error queue, which Node's own crypto calls read after theirs.
      if (result !== 1) fns.clearErrors();
      return result === 1;
    },
  };
  return selfTest(verifier) ? verifier : null;
}

/**
 * Each curve: a signature made by `crypto.sign` verifies, and the same signature refuses an
 * altered message, another key, and a point moved off the curve.
 */
function selfTest(verifier: OpensslEcdsa): boolean {
  try {
    for (const curve of CURVE_NAMES) {
      const { nodeName: name, pointBytes } = CURVES[curve];
      const a = generateKeyPairSync('ec', { namedCurve: name });
      const b = generateKeyPairSync('ec', { namedCurve: name });
      const data = Buffer.from(`spire-ts openssl-ecdsa self-test ${curve}`);
      const sig = sign('sha256', data, a.privateKey);
      if (!verify('sha256', data, a.publicKey, sig)) return false;
      const point = pointOf(a.publicKey, pointBytes);
      const offCurve = Buffer.from(point);
      offCurve.writeUInt8(offCurve.readUInt8(offCurve.length - 1) ^ 1, offCurve.length - 1);
      const altered = Buffer.from(data);
      altered.writeUInt8(altered.readUInt8(0) ^ 1, 0);
      if (!verifier.verify(curve, point, 'sha256', data, sig)) return false;
      if (verifier.verify(curve, point, 'sha256', altered, sig)) return false;
      const other = pointOf(b.publicKey, pointBytes);
      if (verifier.verify(curve, other, 'sha256', data, sig)) return false;
      if (!threw(() => verifier.verify(curve, offCurve, 'sha256', data, sig))) return false;
      if (verifier.isPoint(curve, offCurve) || !verifier.isPoint(curve, point)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function threw(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return err instanceof EcPointError;
  }
}

/** 0x04 || X || Y of a key: the end of its SPKI (Node exports the uncompressed form). */
function pointOf(key: KeyObject, pointBytes: number): Buffer {
  const spki = key.export({ format: 'der', type: 'spki' });
  return Buffer.from(spki.subarray(spki.length - 1 - pointBytes));
}
