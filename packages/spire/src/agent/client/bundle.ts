import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { SpiffeBundle, TrustDomain } from '@spire-ts/spiffe';
import type { Bundle } from '../../gen/spire/api/types/bundle_pb.js';
import { AgentClientError, AgentClientErrorCode } from './errors.js';

/**
 * Turns a `spire.api.types.Bundle` into a {@link SpiffeBundle}: X.509 authorities from DER, JWT
 * authorities from PKIX DER by key id, the refresh hint and sequence number as given. Tainted
 * authorities stay in the bundle (they are still trusted until removed). A malformed key or
 * certificate rejects the whole bundle rather than trusting part of it.
 */
export function bundleFromProto(proto: Bundle, expected?: TrustDomain): SpiffeBundle {
  try {
    const td = TrustDomain.fromString(proto.trustDomain);
    if (expected && !td.equals(expected)) {
      throw new Error(`bundle is for trust domain "${td}", expected "${expected}"`);
    }
    const x509Authorities = proto.x509Authorities.map((a) => new X509Certificate(a.asn1));
    const jwtAuthorities = new Map<string, KeyObject>();
    for (const key of proto.jwtAuthorities) {
      jwtAuthorities.set(
        key.keyId,
        createPublicKey({ key: Buffer.from(key.publicKey), format: 'der', type: 'spki' }),
      );
    }
    return new SpiffeBundle(td, {
      x509Authorities,
      jwtAuthorities,
      ...(proto.sequenceNumber > 0n && { sequenceNumber: proto.sequenceNumber }),
      ...(proto.refreshHint > 0n && { refreshHintSeconds: Number(proto.refreshHint) }),
    });
  } catch (err) {
    throw new AgentClientError(
      AgentClientErrorCode.MalformedResponse,
      `server sent a malformed bundle for trust domain ${JSON.stringify(proto.trustDomain)}`,
      { cause: err },
    );
  }
}
