/** Conversions from our domain values to the SPIRE API's `spire.api.types` messages. */
import { create } from '@bufbuild/protobuf';
import type { SpiffeId } from '@spire-ts/spiffe';
import { type SPIFFEID, SPIFFEIDSchema } from '../../../gen/spire/api/types/spiffeid_pb.js';
import { type X509SVID, X509SVIDSchema } from '../../../gen/spire/api/types/x509svid_pb.js';

/** `types.SPIFFEID{trust_domain, path}` of an ID. */
export function spiffeIdProto(id: SpiffeId): SPIFFEID {
  return create(SPIFFEIDSchema, { trustDomain: id.trustDomain.name, path: id.path });
}

/** `types.SPIFFEID` of a canonical `spiffe://td/path` string. */
export function spiffeIdProtoOf(id: string): SPIFFEID {
  const rest = id.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  return create(SPIFFEIDSchema, { trustDomain, path: slash === -1 ? '' : rest.slice(slash) });
}

/** `types.X509SVID` with its chain (leaf first) and expiry in Unix seconds. */
export function x509SvidProto(
  id: SpiffeId,
  chain: readonly Uint8Array[],
  expiresAt: number,
): X509SVID {
  return create(X509SVIDSchema, {
    id: spiffeIdProto(id),
    certChain: [...chain],
    expiresAt: BigInt(expiresAt),
  });
}
