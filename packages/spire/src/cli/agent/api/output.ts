// `-output pretty|json` of the `spire-agent api` commands, after SPIRE's cliprinter: `json` prints
// the Workload API responses as protojson (proto field names, every field present), re-encoded
// the way Go's encoding/json writes a map: keys sorted, nulls dropped, compact, `<>&` escaped.
import { type DescMessage, type MessageShape, toJson } from '@bufbuild/protobuf';
import type { FlagSpec, FlagValues } from '../../../common/cli/flagset.js';

/** An output format. */
export type OutputFormat = 'pretty' | 'json';

/** The `-output` flag (a Go `flag.Value`: usage shows `value`, no default). */
export const OUTPUT_FLAG: FlagSpec = {
  name: 'output',
  kind: 'list',
  usage: 'Desired output format (pretty, json); default: pretty.',
};

/** `-format`, the deprecated spelling `api fetch jwt` still accepts. */
export const FORMAT_FLAG: FlagSpec = {
  name: 'format',
  kind: 'list',
  usage: 'deprecated; use -output',
};

/**
 * The format the flags ask for: `pretty` unless set. Values are case-insensitive, `prettyprint`
 * means `pretty`; a second, different value is refused as SPIRE refuses it. Returns the
 * message to print (Go's `invalid value ... for flag -x: ...`) when a value is wrong.
 */
export function outputFormat(
  flags: FlagValues,
  names: readonly string[],
): { format: OutputFormat } | { error: string } {
  let format: OutputFormat | undefined;
  for (const name of names) {
    for (const value of (flags[name] as readonly string[] | undefined) ?? []) {
      if (format !== undefined && format !== value) {
        return {
          error: `invalid value "${value}" for flag -${name}: the output format has already been set to "${format}"`,
        };
      }
      const parsed = parseFormat(value);
      if (!parsed) {
        return {
          error:
            `invalid value "${value}" for flag -${name}: bad formatter flag: unknown format ` +
            `option: "${value}" (use pretty or json)`,
        };
      }
      format = parsed;
    }
  }
  return { format: format ?? 'pretty' };
}

function parseFormat(value: string): OutputFormat | undefined {
  const v = value.toLowerCase();
  if (v === 'json') return 'json';
  if (v === 'pretty' || v === 'prettyprint') return 'pretty';
  return undefined;
}

/** A response and its schema, for {@link protoJson}. */
export type ProtoOf<Desc extends DescMessage = DescMessage> = readonly [Desc, MessageShape<Desc>];

/**
 * The JSON line SPIRE's `-output json` prints for these messages: one object for one message,
 * an array for several; ends with a newline.
 */
export function protoJson(messages: readonly ProtoOf[]): string {
  const docs = messages.map(([schema, msg]) =>
    dropNulls(toJson(schema, msg, { useProtoFieldName: true, alwaysEmitImplicit: true })),
  );
  return `${goJson(docs.length === 1 ? docs[0] : docs)}\n`;
}

// SPIRE removes nulls (unset message fields, null claim values) from objects and arrays alike.
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(dropNulls);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
    return out;
  }
  return value;
}

/**
 * Encodes as Go's `json.Marshal` encodes decoded JSON (`map[string]any`): object keys sorted by
 * their UTF-8 bytes (JSON.stringify would put integer-like keys first), `<`, `>`, `&`, U+2028
 * and U+2029 escaped, nothing indented.
 */
export function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const fields = keys.map(
      (k) => `${goString(k)}:${goJson((value as Record<string, unknown>)[k])}`,
    );
    return `{${fields.join(',')}}`;
  }
  if (typeof value === 'string') return goString(value);
  return JSON.stringify(value) ?? 'null';
}

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}
