/**
 * `-data` files: `{"entries": [...]}` in the field names of SPIRE's `proto/spire/common`
 * `RegistrationEntry`, decoded as Go's `encoding/json` decodes them (bug-cases-2 D02, "Go
 * behaviours"): keys match case-insensitively, unknown keys and `null` values are ignored, a value
 * of the wrong JSON type is an error naming the field, and the expiry key is `entryExpiry`.
 */
import { create } from '@bufbuild/protobuf';
import { TrustDomain } from '@spire-ts/spiffe';
import { type Entry, EntrySchema } from '../../../gen/spire/api/types/entry_pb.js';
import { CliError } from '../client.js';
import { idToProto } from './build.js';

type Kind = 'string' | 'int32' | 'int64' | 'bool' | 'strings' | 'selectors' | 'attributes';

// RegistrationEntry's JSON keys (Go struct tags) and their Go types.
const FIELDS: Record<string, Kind> = {
  selectors: 'selectors',
  parent_id: 'string',
  spiffe_id: 'string',
  x509_svid_ttl: 'int32',
  federates_with: 'strings',
  entry_id: 'string',
  admin: 'bool',
  downstream: 'bool',
  entryExpiry: 'int64',
  dns_names: 'strings',
  revision_number: 'int64',
  store_svid: 'bool',
  jwt_svid_ttl: 'int32',
  hint: 'string',
  created_at: 'int64',
  additional_attributes: 'attributes',
};

const GO_TYPE: Record<Kind, string> = {
  string: 'string',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  strings: '[]string',
  selectors: '[]*common.Selector',
  attributes: 'common.RegistrationEntry_AdditionalAttributes',
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The entries of a `-data` document, as the Entry API takes them. */
export function parseEntryData(bytes: Uint8Array): Entry[] {
  let doc: Json;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as Json;
  } catch (err) {
    throw new CliError(`invalid JSON in -data: ${(err as Error).message}`);
  }
  const root = asObject(doc, 'common.RegistrationEntries', '');
  const list = field(root, 'entries');
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw typeError(list, 'entries', '[]*common.RegistrationEntry');
  return list.filter((e) => e !== null).map((e) => entryFromJson(e));
}

function entryFromJson(value: Json): Entry {
  const obj = asObject(value, 'common.RegistrationEntry', 'entries');
  const v: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(FIELDS)) {
    const raw = field(obj, name);
    if (raw !== undefined && raw !== null) v[name] = decode(raw, kind, `entries.${name}`);
  }
  // pkg/server/api RegistrationEntryToProto: IDs must parse; trust domains become names.
  const spiffeId = wrap('invalid SPIFFE ID', () => idToProto(String(v.spiffe_id ?? '')));
  const parentId = wrap('invalid parent ID', () => idToProto(String(v.parent_id ?? '')));
  const federatesWith = ((v.federates_with as string[]) ?? []).map((td) =>
    wrap('invalid federated trust domain', () => TrustDomain.fromString(td).name),
  );
  const attrs = v.additional_attributes as Record<string, boolean> | undefined;
  return create(EntrySchema, {
    id: (v.entry_id as string) ?? '',
    spiffeId,
    parentId,
    selectors: (v.selectors as { type: string; value: string }[]) ?? [],
    x509SvidTtl: (v.x509_svid_ttl as number) ?? 0,
    jwtSvidTtl: (v.jwt_svid_ttl as number) ?? 0,
    federatesWith,
    dnsNames: (v.dns_names as string[]) ?? [],
    admin: (v.admin as boolean) ?? false,
    downstream: (v.downstream as boolean) ?? false,
    storeSvid: (v.store_svid as boolean) ?? false,
    expiresAt: BigInt((v.entryExpiry as number) ?? 0),
    revisionNumber: BigInt((v.revision_number as number) ?? 0),
    createdAt: BigInt((v.created_at as number) ?? 0),
    hint: (v.hint as string) ?? '',
    ...(attrs
      ? {
          additionalAttributes: {
            disableX509SvidPrefetch: attrs.disable_x509_svid_prefetch ?? false,
            jwtSvidIncludeJti: attrs.jwt_svid_include_jti ?? false,
          },
        }
      : {}),
  });
}

function decode(raw: Json, kind: Kind, path: string): unknown {
  switch (kind) {
    case 'string':
    case 'bool':
      if (typeof raw !== kind) throw typeError(raw, path, GO_TYPE[kind]);
      return raw;
    case 'int32':
    case 'int64':
      return integer(raw, kind, path);
    case 'strings':
      return arrayOf(raw, path, GO_TYPE[kind], (item) => decode(item, 'string', path));
    case 'selectors':
      return arrayOf(raw, path, GO_TYPE[kind], (item) => {
        const sel = asObject(item, 'common.Selector', path);
        const type = field(sel, 'type') ?? '';
        const value = field(sel, 'value') ?? '';
        return {
          type: decode(type, 'string', `${path}.type`),
          value: decode(value, 'string', `${path}.value`),
        };
      });
    default: {
      const attrs = asObject(raw, GO_TYPE[kind], path);
      const out: Record<string, unknown> = {};
      for (const name of ['disable_x509_svid_prefetch', 'jwt_svid_include_jti']) {
        const item = field(attrs, name);
        if (item !== undefined && item !== null)
          out[name] = decode(item, 'bool', `${path}.${name}`);
      }
      return out;
    }
  }
}

function integer(raw: Json, kind: 'int32' | 'int64', path: string): number {
  if (typeof raw !== 'number') throw typeError(raw, path, kind);
  const limit = kind === 'int32' ? 2 ** 31 : 2 ** 63;
  if (!Number.isInteger(raw) || raw < -limit || raw >= limit) {
    throw new CliError(
      `json: cannot unmarshal number ${raw} into Go struct field ${goField(path)} of type ${kind}`,
    );
  }
  return raw;
}

function arrayOf(raw: Json, path: string, goType: string, item: (v: Json) => unknown): unknown[] {
  if (!Array.isArray(raw)) throw typeError(raw, path, goType);
  return raw.filter((v) => v !== null).map(item);
}

function asObject(raw: Json, goType: string, path: string): { [key: string]: Json } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw path === ''
      ? new CliError(`json: cannot unmarshal ${jsonType(raw)} into Go value of type ${goType}`)
      : typeError(raw, path, goType);
  }
  return raw;
}

// Go's lookup: the exact key first, otherwise the last key equal to it ignoring case.
function field(obj: { [key: string]: Json }, name: string): Json | undefined {
  if (Object.hasOwn(obj, name)) return obj[name];
  let found: Json | undefined;
  for (const key of Object.keys(obj)) {
    if (key.toLowerCase() === name.toLowerCase()) found = obj[key];
  }
  return found;
}

function typeError(raw: Json, path: string, goType: string): CliError {
  return new CliError(
    `json: cannot unmarshal ${jsonType(raw)} into Go struct field ${goField(path)} of type ${goType}`,
  );
}

function goField(path: string): string {
  return path.startsWith('entries') ? `RegistrationEntries.${path}` : path;
}

function jsonType(raw: Json): string {
  if (Array.isArray(raw)) return 'array';
  if (raw === null) return 'null';
  return typeof raw === 'object' ? 'object' : typeof raw;
}

function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new CliError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
