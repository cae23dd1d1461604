import { createRequire } from 'node:module';
import { ConfigError, ConfigErrorCode } from './errors.js';

/** A parsed HCL or JSON document: keys map to values, blocks to lists of objects. */
export type HclObject = { [key: string]: unknown };

interface HclParser {
  parse(text: string): string;
}

let parser: HclParser | undefined;

// js-hcl-parser is a 1.5 MB GopherJS build of HashiCorp's HCL v1 (the parser SPIRE uses); load
// it on first use so CLI verbs that read no file do not pay for it.
function hclParser(): HclParser {
  parser ??= createRequire(import.meta.url)('js-hcl-parser') as HclParser;
  return parser;
}

const FAILURE_PREFIX = 'unable to parse JSON: ';
const POSITION = /^At (\d+):(\d+): /;

/**
 * Parses HCL v1 (or JSON) text as SPIRE's Go decoder sees it: a block `a "b" { ... }` becomes
 * `{ a: [{ b: [{ ... }] }] }`, and every block is a list of objects. The parser reports failure
 * as a string rather than throwing; this turns it into `ERR_CONFIG_SYNTAX` naming the line.
 */
export function parseHcl(text: string, source = 'configuration'): HclObject {
  const out = hclParser().parse(text);
  if (out.startsWith('{')) return JSON.parse(out) as HclObject;

  const detail = out.startsWith(FAILURE_PREFIX) ? out.slice(FAILURE_PREFIX.length) : out;
  const at = POSITION.exec(detail);
  const line = at ? Number(at[1]) : undefined;
  const why = at ? detail.slice(at[0].length) : detail;
  const where = line === undefined ? '' : ` at line ${line}, column ${at?.[2]}`;
  return failSyntax(`${source}: invalid HCL${where}: ${why}; fix the syntax there`, line);
}

function failSyntax(message: string, line: number | undefined): never {
  throw ConfigError.of(ConfigErrorCode.Syntax, message, '', line);
}

/** True for a plain object (not an array, not null). */
export function isHclObject(v: unknown): v is HclObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Turns decoder output into plain data for plugins: a list holding exactly one object (how HCL
 * v1 represents a block) becomes that object, recursively. Lists of scalars and lists of several
 * objects stay lists.
 */
export function plainHcl(v: unknown): unknown {
  if (Array.isArray(v)) {
    const [only] = v;
    if (v.length === 1 && isHclObject(only)) return plainHcl(only);
    return v.map(plainHcl);
  }
  if (!isHclObject(v)) return v;
  const out: HclObject = {};
  for (const [k, value] of Object.entries(v)) out[k] = plainHcl(value);
  return out;
}
