/**
 * Registration entries between the API (`spire.api.types.Entry`) and the datastore, with SPIRE's
 * entry validation (reference §3.9).
 */
import { create } from '@bufbuild/protobuf';
import type { TrustDomain } from '@spire-ts/spiffe';
import {
  type Entry,
  type EntryMask as EntryMaskProto,
  EntrySchema,
} from '../../../gen/spire/api/types/entry_pb.js';
import type { Selector as SelectorProto } from '../../../gen/spire/api/types/selector_pb.js';
import type {
  EntryMask,
  NewRegistrationEntry,
  RegistrationEntry,
  Selector,
} from '../../datastore/index.js';
import { ApiInputError, messageOf } from './errors.js';
import { idFromProto, idToProto, trustDomainFromString } from './ids.js';

/** Longest hint SPIRE accepts. */
export const MAX_HINT_LENGTH = 1024;

/** The API form of a stored entry; `mask` limits the fields filled (id is always set). */
export function entryToProto(e: RegistrationEntry, mask?: EntryMaskProto): Entry {
  const m = (field: keyof EntryMaskProto) => !mask || mask[field] === true;
  return create(EntrySchema, {
    id: e.id,
    ...(m('spiffeId') ? { spiffeId: idToProto(e.spiffeId) } : {}),
    ...(m('parentId') ? { parentId: idToProto(e.parentId) } : {}),
    ...(m('selectors') ? { selectors: e.selectors.map((s) => ({ ...s })) } : {}),
    ...(m('x509SvidTtl') ? { x509SvidTtl: e.x509SvidTtl } : {}),
    ...(m('jwtSvidTtl') ? { jwtSvidTtl: e.jwtSvidTtl } : {}),
    ...(m('federatesWith') ? { federatesWith: [...e.federatesWith] } : {}),
    ...(m('admin') ? { admin: e.admin } : {}),
    ...(m('downstream') ? { downstream: e.downstream } : {}),
    ...(m('expiresAt') ? { expiresAt: BigInt(e.expiresAt) } : {}),
    ...(m('dnsNames') ? { dnsNames: [...e.dnsNames] } : {}),
    ...(m('revisionNumber') ? { revisionNumber: BigInt(e.revisionNumber) } : {}),
    ...(m('storeSvid') ? { storeSvid: e.storeSvid } : {}),
    ...(m('hint') ? { hint: e.hint } : {}),
    ...(m('createdAt') ? { createdAt: BigInt(e.createdAt) } : {}),
  });
}

/**
 * Validates an API entry for create (every field) or update (the fields of `mask`) and returns
 * the datastore form. Throws {@link ApiInputError} with SPIRE's wording.
 */
export function entryFromProto(
  td: TrustDomain,
  e: Entry,
  mask?: EntryMaskProto,
): NewRegistrationEntry & { id?: string } {
  const m = (field: keyof EntryMaskProto) => !mask || mask[field] === true;
  const spiffeId = m('spiffeId') ? workloadId(td, e, 'spiffe') : '';
  const parentId = m('parentId') ? workloadId(td, e, 'parent') : '';
  const selectors = m('selectors') ? selectorsFromProto(e.selectors) : [];
  if (m('dnsNames')) for (const dns of e.dnsNames) checkDnsName(dns);
  const federatesWith = m('federatesWith') ? e.federatesWith.map(federatedTrustDomain) : [];
  if (m('hint') && e.hint.length > MAX_HINT_LENGTH) {
    throw new ApiInputError(`hint is too long, max length is ${MAX_HINT_LENGTH} characters`);
  }
  if (m('x509SvidTtl') && e.x509SvidTtl < 0)
    throw new ApiInputError('x509SvidTtl cannot be negative');
  if (m('jwtSvidTtl') && e.jwtSvidTtl < 0) throw new ApiInputError('jwtSvidTtl cannot be negative');
  return {
    ...(e.id ? { id: e.id } : {}),
    spiffeId,
    parentId,
    selectors,
    x509SvidTtl: e.x509SvidTtl,
    jwtSvidTtl: e.jwtSvidTtl,
    dnsNames: [...e.dnsNames],
    federatesWith,
    admin: e.admin,
    downstream: e.downstream,
    expiresAt: Number(e.expiresAt),
    hint: e.hint,
    storeSvid: e.storeSvid,
  };
}

/** Datastore update mask from the API mask (every field when absent). */
export function entryMaskFromProto(mask: EntryMaskProto | undefined): EntryMask | undefined {
  if (!mask) return undefined;
  return {
    spiffeId: mask.spiffeId,
    parentId: mask.parentId,
    selectors: mask.selectors,
    x509SvidTtl: mask.x509SvidTtl,
    jwtSvidTtl: mask.jwtSvidTtl,
    dnsNames: mask.dnsNames,
    federatesWith: mask.federatesWith,
    admin: mask.admin,
    downstream: mask.downstream,
    expiresAt: mask.expiresAt,
    hint: mask.hint,
    storeSvid: mask.storeSvid,
  };
}

/**
 * Reference §3.9: the entry's SPIFFE ID and parent ID are in the server's trust domain with a
 * non-empty path; a workload's own ID may not be under the reserved `/spire/` path (the parent
 * may: agents and the server parent entries).
 */
function workloadId(td: TrustDomain, e: Entry, which: 'spiffe' | 'parent'): string {
  const label = which === 'spiffe' ? 'invalid spiffe ID' : 'invalid parent ID';
  let id: ReturnType<typeof idFromProto>;
  try {
    id = idFromProto(which === 'spiffe' ? e.spiffeId : e.parentId);
  } catch (err) {
    throw new ApiInputError(`${label}: ${messageOf(err)}`, { cause: err });
  }
  if (!id.trustDomain.equals(td)) {
    throw new ApiInputError(`${label}: "${id}" is not a member of trust domain "${td.name}"`);
  }
  if (id.path === '') throw new ApiInputError(`${label}: path cannot be empty`);
  if (which === 'spiffe' && (id.path === '/spire' || id.path.startsWith('/spire/'))) {
    throw new ApiInputError(`${label}: "${id}" is reserved for SPIRE (path under /spire/)`);
  }
  return id.toString();
}

/** Selectors must be present, each with a type (no ':') and a value. */
export function selectorsFromProto(selectors: readonly SelectorProto[]): Selector[] {
  if (selectors.length === 0) throw new ApiInputError('selector list is empty');
  return selectors.map((s) => {
    if (s.type === '') throw new ApiInputError('missing selector type');
    if (s.type.includes(':')) throw new ApiInputError("selector type contains ':'");
    if (s.value === '') throw new ApiInputError('missing selector value');
    return { type: s.type, value: s.value };
  });
}

function federatedTrustDomain(value: string): string {
  try {
    return trustDomainFromString(value).name;
  } catch (err) {
    throw new ApiInputError(`invalid federated trust domain: ${messageOf(err)}`, { cause: err });
  }
}

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/**
 * A DNS name for an X.509-SVID SAN: at most 255 characters, dot-separated labels of letters,
 * digits and inner hyphens; a leading `*` label is allowed (wildcard, D14).
 */
export function checkDnsName(name: string): void {
  const fail = (why: string) => {
    throw new ApiInputError(`invalid DNS name: ${why}`);
  };
  if (name === '') fail('empty or only whitespace');
  if (name.length > 255) fail('length exceeded');
  const labels = name.split('.');
  for (const [i, label] of labels.entries()) {
    if (i === 0 && label === '*' && labels.length > 1) continue;
    if (label === '') fail('label is empty');
    if (!DNS_LABEL.test(label)) fail(`label "${label}" is not a valid DNS label`);
  }
}
