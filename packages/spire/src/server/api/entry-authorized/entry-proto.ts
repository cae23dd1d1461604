/** `types.Entry` of a cached registration entry, with SPIRE's output-mask rules. */
import { create } from '@bufbuild/protobuf';
import { type Entry, type EntryMask, EntrySchema } from '../../../gen/spire/api/types/entry_pb.js';
import type { RegistrationEntry } from '../../datastore/index.js';
import { spiffeIdProtoOf } from '../attestation/proto.js';

/** The entry as `types.Entry`; with a mask, only the masked-in fields (the id always). */
export function entryProto(e: RegistrationEntry, mask?: EntryMask): Entry {
  const m = mask ?? FULL_MASK;
  return create(EntrySchema, {
    id: e.id,
    spiffeId: m.spiffeId ? spiffeIdProtoOf(e.spiffeId) : undefined,
    parentId: m.parentId ? spiffeIdProtoOf(e.parentId) : undefined,
    selectors: m.selectors ? e.selectors.map((s) => ({ type: s.type, value: s.value })) : [],
    x509SvidTtl: m.x509SvidTtl ? e.x509SvidTtl : 0,
    jwtSvidTtl: m.jwtSvidTtl ? e.jwtSvidTtl : 0,
    federatesWith: m.federatesWith ? [...e.federatesWith] : [],
    admin: m.admin ? e.admin : false,
    downstream: m.downstream ? e.downstream : false,
    expiresAt: m.expiresAt ? BigInt(e.expiresAt) : 0n,
    dnsNames: m.dnsNames ? [...e.dnsNames] : [],
    revisionNumber: m.revisionNumber ? BigInt(e.revisionNumber) : 0n,
    storeSvid: m.storeSvid ? e.storeSvid : false,
    hint: m.hint ? e.hint : '',
    createdAt: m.createdAt ? BigInt(e.createdAt) : 0n,
  });
}

const FULL_MASK: Omit<EntryMask, '$typeName' | '$unknown'> = {
  spiffeId: true,
  parentId: true,
  selectors: true,
  x509SvidTtl: true,
  federatesWith: true,
  admin: true,
  downstream: true,
  expiresAt: true,
  dnsNames: true,
  revisionNumber: true,
  storeSvid: true,
  jwtSvidTtl: true,
  hint: true,
  createdAt: true,
  additionalAttributes: true,
};
