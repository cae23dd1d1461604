import { createPublicKey } from 'node:crypto';
import type { SpiffeId } from '../../spiffeid/index.js';
import { type CertFields, certFields } from './certinfo.js';
import { certLabel, malformed, splitCertificateDer } from './decode.js';
import { X509SvidError, X509SvidErrorCode } from './errors.js';
import { checkCriticalExtensions, checkLeaf, checkSigningCert } from './rules.js';
import { isCertificateDer } from './structure.js';

/** What {@link checkX509SvidDer} returns about an X509-SVID it accepts. */
export interface CheckedX509SvidDer {
  /** The SPIFFE ID of the leaf certificate. */
  readonly id: SpiffeId;
  /** The DER of each certificate, leaf first: views of the input bytes, not copies. */
  readonly certificates: readonly Uint8Array[];
  /** The leaf's notBefore. */
  readonly notBefore: Date;
  /** The leaf's notAfter. */
  readonly notAfter: Date;
  /** The earliest notAfter of all the certificates: when the chain as a whole stops being valid. */
  readonly chainNotAfter: Date;
}

/**
 * Checks an X509-SVID given as DER (concatenated, or an array of one certificate each, leaf
 * first) against the public key it must certify, with the rules of {@link X509Svid.parse} and
 * its error codes, but without creating any `X509Certificate` or `KeyObject`: everything is read
 * from the bytes. For a process that checks many SVIDs of keys it made itself (an agent minting
 * workload SVIDs), where each native object would hold OpenSSL memory until a full GC.
 *
 * Checked: each certificate has the structure node's parser requires (RFC 5280 §4.1); the leaf
 * has exactly one URI SAN, a SPIFFE ID with a path, cA=false, a critical keyUsage with
 * digitalSignature and without keyCertSign or cRLSign, extKeyUsage (when present) with serverAuth
 * and clientAuth (X509-SVID §2-§4.4); every other certificate is a CA with keyCertSign whose
 * SPIFFE ID, if any, has no path (§3.2, §4.1, §4.3); no certificate has a critical extension left
 * unprocessed (RFC 5280 §4.2); the leaf's subjectPublicKeyInfo is `publicKey`. As with `parse`,
 * neither signatures nor validity times nor the chain's path are checked: use
 * {@link X509Svid.verify} for that.
 *
 * `publicKey` is the key's SPKI DER as node writes it (`generateKeyPair` with
 * `publicKeyEncoding: { type: 'spki', format: 'der' }`, or `KeyObject.export`). The leaf's SPKI
 * is compared with it byte for byte; only when the bytes differ is the leaf's key decoded (a
 * native object, on the refusal path only) to tell an unreadable key (as `parse`:
 * ERR_X509SVID_MALFORMED_CERTIFICATE) from another key (ERR_X509SVID_KEY_MISMATCH), and to
 * accept the same key in another encoding, as `parse`, which compares re-encoded keys, does.
 *
 * ```ts
 * const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256',
 *   publicKeyEncoding: { type: 'spki', format: 'der' },
 *   privateKeyEncoding: { type: 'pkcs8', format: 'der' } });
 * const svid = checkX509SvidDer(response.certChain, publicKey);
 * svid.id.toString(); // 'spiffe://example.org/workload'
 * ```
 *
 * @throws X509SvidError with the code of the rule broken (the code `parse` gives for the same
 * chain and the matching private key)
 * @throws TypeError when `certs` is not DER bytes or an array of them
 */
export function checkX509SvidDer(
  certs: Uint8Array | readonly Uint8Array[],
  publicKey: Uint8Array,
): CheckedX509SvidDer {
  const chain = splitCertificateDer(certs);
  for (const [i, der] of chain.entries()) {
    if (!isCertificateDer(der)) throw malformed(`${certLabel(i)} is not a valid der certificate`);
  }

  const leaf = certFields(chain[0] as Uint8Array, 'leaf');
  const id = checkLeaf(leaf);
  checkCriticalExtensions(leaf, 'leaf');
  let chainNotAfter = leaf.notAfter;
  for (const [i, der] of chain.entries()) {
    if (i === 0) continue;
    const info = certFields(der, certLabel(i));
    checkCriticalExtensions(info, certLabel(i));
    checkSigningCert(info, certLabel(i));
    if (info.notAfter < chainNotAfter) chainNotAfter = info.notAfter;
  }

  requireKey(leaf, publicKey);
  return {
    id,
    certificates: chain,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    chainNotAfter,
  };
}

function requireKey(leaf: CertFields, publicKey: Uint8Array): void {
  if (Buffer.compare(leaf.publicKeyInfo, publicKey) === 0) return;

  let canonical: Buffer;
  try {
    const key = createPublicKey({
      key: Buffer.from(leaf.publicKeyInfo),
      format: 'der',
      type: 'spki',
    });
    canonical = key.export({ format: 'der', type: 'spki' });
  } catch (cause) {
    throw malformed('leaf subjectPublicKeyInfo is not a key this runtime can read', cause);
  }
  if (Buffer.compare(canonical, publicKey) !== 0) {
    throw new X509SvidError(
      X509SvidErrorCode.KeyMismatch,
      'leaf public key is not the given public key',
    );
  }
}
