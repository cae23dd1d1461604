import { createPublicKey, type KeyObject, sign } from 'node:crypto';
import { bitString, explicit, seq, smallInteger } from '../../server/credtemplate/der.js';
import { signatureAlgorithm } from '../../server/credtemplate/x509-profile.js';
import type { AgentKeyType } from '../plugin/keymanager/index.js';

/**
 * Builds a PKCS#10 certification request (RFC 2986 §4) for `privateKey`, with an empty subject
 * and no attributes, as SPIRE's agent sends them: the server ignores whatever a CSR asks for and
 * sets the subject and SPIFFE ID itself from the registration entry or the agent's identity
 * (threat model §4.3, CVE-2021-27098), so the CSR only proves possession of the key.
 */
export function buildCsr(privateKey: KeyObject): Buffer {
  const algorithm = signatureAlgorithm(keyTypeOf(privateKey));
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const info = seq(smallInteger(0), seq(), spki, explicit(0));
  const signature = sign(algorithm.hash, info, privateKey);
  return seq(info, algorithm.identifier, bitString(signature));
}

/** The key type of a private key, which picks the CSR's signature algorithm. */
export function keyTypeOf(privateKey: KeyObject): AgentKeyType {
  if (privateKey.asymmetricKeyType === 'rsa') return 'rsa-2048';
  return privateKey.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ec-p384' : 'ec-p256';
}
