/**
 * SPIFFE IDs and trust domains between the API's `types.SPIFFEID` and our canonical strings.
 */
import { create } from '@bufbuild/protobuf';
import { SpiffeId, TrustDomain } from '@spire-ts/spiffe';
import { type SPIFFEID, SPIFFEIDSchema } from '../../../gen/spire/api/types/spiffeid_pb.js';

/** `types.SPIFFEID` from a canonical ID string. */
export function idToProto(id: string): SPIFFEID {
  const parsed = SpiffeId.fromString(id);
  return create(SPIFFEIDSchema, { trustDomain: parsed.trustDomain.name, path: parsed.path });
}

/** Parses a `types.SPIFFEID`; throws the SDK's error (InvalidArgument at the edge). */
export function idFromProto(id: SPIFFEID | undefined): SpiffeId {
  if (!id) throw new Error('request must specify SPIFFE ID');
  const td = TrustDomain.fromString(id.trustDomain);
  return id.path === '' ? td.id() : SpiffeId.fromPath(td, id.path);
}

/** A trust domain given as a name or as `spiffe://name`. */
export function trustDomainFromString(value: string): TrustDomain {
  return TrustDomain.fromString(value);
}
