/**
 * The entry that `entry create` / `entry update` send, built from their flags with SPIRE's
 * checks (`cmd/spire-server/cli/entry/create.go`, `update.go`). Absent TTLs are sent as 0 so the
 * server applies its own default (bug-cases-2 D04); `update` replaces every field (D07).
 */
import { create } from '@bufbuild/protobuf';
import { SpiffeId } from '@spire-ts/spiffe';
import type { FlagValues } from '../../../common/cli/flagset.js';
import { type Entry, EntrySchema } from '../../../gen/spire/api/types/entry_pb.js';
import type { Selector } from '../../../gen/spire/api/types/selector_pb.js';
import { CliError } from '../client.js';

const INT32_MAX = 2 ** 31 - 1;

/** The path of the server's own SPIFFE ID, the parent of `-node` entries. */
export const SERVER_ID_PATH = '/spire/server';

/** `{trustDomain, path}` of a SPIFFE ID string; throws the SDK's message when it is malformed. */
export function idToProto(text: string): { trustDomain: string; path: string } {
  const id = SpiffeId.fromString(text);
  return { trustDomain: id.trustDomain.name, path: id.path };
}

/**
 * `type:value` split at the first colon, as SPIRE's `util.ParseSelector`: the value may itself
 * hold colons (`unix:uid:1000` is type `unix`, value `uid:1000`).
 */
export function parseSelector(text: string): Pick<Selector, 'type' | 'value'> {
  const colon = text.indexOf(':');
  if (colon === -1) throw new CliError(`selector "${text}" must be formatted as type:value`);
  return { type: text.slice(0, colon), value: text.slice(colon + 1) };
}

const strings = (v: unknown) => (v as readonly string[] | undefined) ?? [];

/** Checks the flags of `entry create` (without `-data`). */
export function validateCreate(flags: FlagValues): void {
  if (strings(flags.selector).length < 1) throw new CliError('at least one selector is required');
  if (flags.node === true && strings(flags.federatesWith).length > 0) {
    throw new CliError('node entries can not federate');
  }
  if (flags.parentID === '' && flags.node !== true) {
    throw new CliError('a parent ID is required if the node flag is not set');
  }
  if (flags.spiffeID === '') throw new CliError('a SPIFFE ID is required');
  checkTtls(flags);
}

/** Checks the flags of `entry update` (without `-data`): every identifying field is required. */
export function validateUpdate(flags: FlagValues): void {
  if (flags.entryID === '') throw new CliError('entry ID is required');
  if (strings(flags.selector).length < 1) throw new CliError('at least one selector is required');
  if (flags.parentID === '') throw new CliError('a parent ID is required');
  if (flags.spiffeID === '') throw new CliError('a SPIFFE ID is required');
  checkTtls(flags);
}

function checkTtls(flags: FlagValues): void {
  if (Number(flags.x509SVIDTTL) < 0) throw new CliError('a positive x509-SVID TTL is required');
  if (Number(flags.jwtSVIDTTL) < 0) throw new CliError('a positive JWT-SVID TTL is required');
  if (Number(flags.x509SVIDTTL) > INT32_MAX) {
    throw new CliError(`invalid value for X509 SVID TTL: ${flags.x509SVIDTTL} overflows int32`);
  }
  if (Number(flags.jwtSVIDTTL) > INT32_MAX) {
    throw new CliError(`invalid value for JWT SVID TTL: ${flags.jwtSVIDTTL} overflows int32`);
  }
}

/**
 * The one entry the flags describe. With `-node` the parent is `spiffe://<td>/spire/server` in
 * the trust domain of `-spiffeID`. Additional attributes are sent only when one of their flags
 * was given (`given` holds the names of the flags on the command line).
 */
export function entryFromFlags(flags: FlagValues, given: ReadonlySet<string>): Entry {
  const spiffeId = idToProto(String(flags.spiffeID));
  const parentId =
    flags.node === true
      ? { trustDomain: spiffeId.trustDomain, path: SERVER_ID_PATH }
      : idToProto(String(flags.parentID));
  const entry = create(EntrySchema, {
    id: String(flags.entryID),
    spiffeId,
    parentId,
    selectors: strings(flags.selector).map(parseSelector),
    x509SvidTtl: Number(flags.x509SVIDTTL),
    jwtSvidTtl: Number(flags.jwtSVIDTTL),
    federatesWith: [...strings(flags.federatesWith)],
    dnsNames: [...strings(flags.dns)],
    admin: flags.admin === true,
    downstream: flags.downstream === true,
    storeSvid: flags.storeSVID === true,
    expiresAt: BigInt(Number(flags.entryExpiry)),
    hint: String(flags.hint),
  });
  if (given.has('disableX509SVIDPrefetch') || given.has('jwtSVIDIncludeJTI')) {
    entry.additionalAttributes = {
      $typeName: 'spire.api.types.Entry.AdditionalAttributes',
      disableX509SvidPrefetch: flags.disableX509SVIDPrefetch === true,
      jwtSvidIncludeJti: flags.jwtSVIDIncludeJTI === true,
    };
  }
  return entry;
}
