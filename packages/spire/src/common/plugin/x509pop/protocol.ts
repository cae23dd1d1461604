/**
 * The x509pop proof-of-possession exchange, byte-compatible with SPIRE's agent and server
 * plugins: JSON documents whose byte fields are standard base64 (Go's encoding of []byte).
 *
 *   agent -> server  AttestationData  {"certificates":[leaf DER, intermediate DER, ...]}
 *   server -> agent  Challenge        {"rsa_signature":{"nonce":N1}|null,"ecdsa_signature":...}
 *   agent -> server  Response         {"rsa_signature":{"nonce":N2,"signature":S}}
 *                                  or {"ecdsa_signature":{"nonce":N2,"r":R,"s":S}}
 *
 * Both nonces are 32 random bytes; the signed digest is SHA-256(N1 || N2). RSA signs it with
 * PSS (SHA-256, maximal salt; verification detects the salt length), ECDSA signs it as a
 * pre-hashed digest. Node's `crypto.sign('sha256', N1 || N2)` computes exactly that digest, so
 * the bytes on the wire are what SPIRE produces and accepts.
 */
import { constants, createHash, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { ecPublicKeyProblem } from '@spire-ts/spiffe';

/** Length of each nonce, in bytes. */
export const NONCE_LENGTH = 32;

/** The agent's first message: its certificate chain, leaf first. */
export interface AttestationData {
  readonly certificates: readonly Uint8Array[];
}

/** The server's challenge: one of the two forms, by the leaf's key type. */
export interface Challenge {
  readonly rsaSignature?: { readonly nonce: Uint8Array };
  readonly ecdsaSignature?: { readonly nonce: Uint8Array };
}

/** The agent's answer to a {@link Challenge}. */
export interface Response {
  readonly rsaSignature?: { readonly nonce: Uint8Array; readonly signature: Uint8Array };
  readonly ecdsaSignature?: {
    readonly nonce: Uint8Array;
    readonly r: Uint8Array;
    readonly s: Uint8Array;
  };
}

/** An x509pop document or signature that is malformed or does not verify. */
export class X509PopError extends Error {
  constructor(message: string) {
    super(`x509pop: ${message}`);
    this.name = 'X509PopError';
  }
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export function marshalAttestationData(data: AttestationData): Uint8Array {
  return Buffer.from(JSON.stringify({ certificates: data.certificates.map(b64) }));
}

export function parseAttestationData(bytes: Uint8Array): AttestationData {
  const doc = parseObject(bytes, 'attestation data');
  const certs = doc['certificates'];
  if (!Array.isArray(certs)) throw new X509PopError('attestation data has no certificates list');
  return { certificates: certs.map((c, i) => base64Field(c, `certificates[${i}]`)) };
}

/** Picks the challenge form for a leaf public key: RSA or EC. */
export function generateChallenge(leafKey: KeyObject): Challenge {
  const nonce = randomBytes(NONCE_LENGTH);
  if (leafKey.asymmetricKeyType === 'rsa') return { rsaSignature: { nonce } };
  if (leafKey.asymmetricKeyType === 'ec') return { ecdsaSignature: { nonce } };
  throw new X509PopError(`unsupported leaf key type ${leafKey.asymmetricKeyType ?? 'unknown'}`);
}

export function marshalChallenge(c: Challenge): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      rsa_signature: c.rsaSignature ? { nonce: b64(c.rsaSignature.nonce) } : null,
      ecdsa_signature: c.ecdsaSignature ? { nonce: b64(c.ecdsaSignature.nonce) } : null,
    }),
  );
}

export function parseChallenge(bytes: Uint8Array): Challenge {
  const doc = parseObject(bytes, 'challenge');
  const rsa = optionalObject(doc['rsa_signature'], 'rsa_signature');
  const ec = optionalObject(doc['ecdsa_signature'], 'ecdsa_signature');
  return {
    ...(rsa && { rsaSignature: { nonce: base64Field(rsa['nonce'], 'rsa_signature.nonce') } }),
    ...(ec && { ecdsaSignature: { nonce: base64Field(ec['nonce'], 'ecdsa_signature.nonce') } }),
  };
}

/** The agent side: signs SHA-256(challenge nonce || fresh nonce) with the node's private key. */
export function calculateResponse(privateKey: KeyObject, challenge: Challenge): Response {
  const nonce = randomBytes(NONCE_LENGTH);
  if (privateKey.asymmetricKeyType === 'rsa') {
    if (!challenge.rsaSignature) throw new X509PopError('expecting RSA challenge');
    const data = signedData(challenge.rsaSignature.nonce, nonce);
    const signature = sign('sha256', data, {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_MAX_SIGN,
    });
    return { rsaSignature: { nonce, signature } };
  }
  if (privateKey.asymmetricKeyType === 'ec') {
    if (!challenge.ecdsaSignature) throw new X509PopError('expecting ECDSA challenge');
    const data = signedData(challenge.ecdsaSignature.nonce, nonce);
    const rs = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const half = rs.length / 2;
    return {
      ecdsaSignature: {
        nonce,
        r: trimLeadingZeros(rs.subarray(0, half)),
        s: trimLeadingZeros(rs.subarray(half)),
      },
    };
  }
  throw new X509PopError(
    `unsupported private key type ${privateKey.asymmetricKeyType ?? 'unknown'}`,
  );
}

export function marshalResponse(r: Response): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      rsa_signature: r.rsaSignature
        ? { nonce: b64(r.rsaSignature.nonce), signature: b64(r.rsaSignature.signature) }
        : null,
      ecdsa_signature: r.ecdsaSignature
        ? {
            nonce: b64(r.ecdsaSignature.nonce),
            r: b64(r.ecdsaSignature.r),
            s: b64(r.ecdsaSignature.s),
          }
        : null,
    }),
  );
}

export function parseResponse(bytes: Uint8Array): Response {
  const doc = parseObject(bytes, 'challenge response');
  const rsa = optionalObject(doc['rsa_signature'], 'rsa_signature');
  const ec = optionalObject(doc['ecdsa_signature'], 'ecdsa_signature');
  return {
    ...(rsa && {
      rsaSignature: {
        nonce: base64Field(rsa['nonce'], 'rsa_signature.nonce'),
        signature: base64Field(rsa['signature'], 'rsa_signature.signature'),
      },
    }),
    ...(ec && {
      ecdsaSignature: {
        nonce: base64Field(ec['nonce'], 'ecdsa_signature.nonce'),
        r: base64Field(ec['r'], 'ecdsa_signature.r'),
        s: base64Field(ec['s'], 'ecdsa_signature.s'),
      },
    }),
  };
}

/** The server side: throws X509PopError unless the response proves possession of the key. */
export function verifyChallengeResponse(
  publicKey: KeyObject,
  challenge: Challenge,
  response: Response,
): void {
  // Reading the curve of an EC point at infinity aborts Node; refuse such a key first.
  const problem = ecPublicKeyProblem(publicKey);
  if (problem !== undefined) throw new X509PopError(`certificate public key ${problem}`);
  if (publicKey.asymmetricKeyType === 'rsa') {
    if (!challenge.rsaSignature) throw new X509PopError('expecting RSA challenge');
    if (!response.rsaSignature) throw new X509PopError('expecting RSA response');
    const data = signedData(challenge.rsaSignature.nonce, response.rsaSignature.nonce);
    const ok = verify(
      'sha256',
      data,
      {
        key: publicKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_AUTO,
      },
      response.rsaSignature.signature,
    );
    if (!ok) throw new X509PopError('RSA signature verify failed');
    return;
  }
  if (publicKey.asymmetricKeyType === 'ec') {
    if (!challenge.ecdsaSignature) throw new X509PopError('expecting ECDSA challenge');
    if (!response.ecdsaSignature) throw new X509PopError('expecting ECDSA response');
    const { nonce, r, s } = response.ecdsaSignature;
    const data = signedData(challenge.ecdsaSignature.nonce, nonce);
    const width = curveByteLength(publicKey);
    if (r.length > width || s.length > width)
      throw new X509PopError('ECDSA signature verify failed');
    const rs = Buffer.concat([leftPad(r, width), leftPad(s, width)]);
    const ok = verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, rs);
    if (!ok) throw new X509PopError('ECDSA signature verify failed');
    return;
  }
  throw new X509PopError(`unsupported public key type ${publicKey.asymmetricKeyType ?? 'unknown'}`);
}

/** SHA-1 of the certificate's DER, lower-case hex: the x509pop fingerprint. */
export function fingerprint(der: Uint8Array): string {
  return createHash('sha1').update(der).digest('hex');
}

/** The bytes whose SHA-256 is signed; both nonces must be exactly 32 bytes. */
function signedData(challengeNonce: Uint8Array, responseNonce: Uint8Array): Buffer {
  if (challengeNonce.length !== NONCE_LENGTH) throw new X509PopError('invalid challenge nonce');
  if (responseNonce.length !== NONCE_LENGTH) throw new X509PopError('invalid response nonce');
  return Buffer.concat([challengeNonce, responseNonce]);
}

function curveByteLength(key: KeyObject): number {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'prime256v1') return 32;
  if (curve === 'secp384r1') return 48;
  if (curve === 'secp521r1') return 66;
  throw new X509PopError(`unsupported curve ${curve ?? 'unknown'}`);
}

function leftPad(b: Uint8Array, width: number): Buffer {
  return Buffer.concat([Buffer.alloc(width - b.length), b]);
}

/** Go's big.Int.Bytes() drops leading zero bytes; do the same so the JSON is identical. */
function trimLeadingZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function parseObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new X509PopError(`failed to unmarshal ${what}: not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new X509PopError(`failed to unmarshal ${what}: not a JSON object`);
  }
  return doc as Record<string, unknown>;
}

function optionalObject(v: unknown, field: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new X509PopError(`${field} is not an object`);
  return v as Record<string, unknown>;
}

function base64Field(v: unknown, field: string): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
    throw new X509PopError(`${field} is not standard base64`);
  }
  return Buffer.from(v, 'base64');
}
