import { createPublicKey, type KeyObject, sign } from 'node:crypto';
import { bitString, explicit, seq, smallInteger } from '../../server/credtemplate/der.js';
import { signatureAlgorithm } from '../../server/credtemplate/x509-profile.js';
import type { AgentKeyType, WorkloadKey } from '../plugin/keymanager/index.js';

/**
 * Builds a PKCS#10 certification request (RFC 2986 §4) for `privateKey`, with an empty subject
 * and no attributes, as SPIRE's agent sends them: the server ignores whatever a CSR asks for and
 * sets the subject and SPIFFE ID itself from the registration entry or the agent's identity
 * (threat model §4.3, CVE-2021-27098), so the CSR only proves possession of the key.
 */
export function buildCsr(privateKey: KeyObject): Buffer {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return csr(keyTypeOf(privateKey), spki, (hash, info) => sign(hash, info, privateKey));
}

/**
 * The same request for a workload key held as DER: signed with the PKCS#8 bytes, whose parsed
 * form OpenSSL frees when the call returns, so no key object is left for the GC (issue 4).
 */
export function buildWorkloadCsr(key: WorkloadKey): Buffer {
  return csr(key.type, key.spki, (hash, info) =>
    sign(hash, info, { key: key.pkcs8, format: 'der', type: 'pkcs8' }),
  );
}

function csr(
  type: AgentKeyType,
  spki: Buffer,
  signInfo: (hash: string, info: Buffer) => Buffer,
): Buffer {
  const algorithm = signatureAlgorithm(type);
  const info = seq(smallInteger(0), seq(), spki, explicit(0));
  return seq(info, algorithm.identifier, bitString(signInfo(algorithm.hash, info)));
}

/** The key type of a private key, which picks the CSR's signature algorithm. */
export function keyTypeOf(privateKey: KeyObject): AgentKeyType {
  if (privateKey.asymmetricKeyType === 'rsa') return 'rsa-2048';
  return privateKey.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ec-p384' : 'ec-p256';
}
