import { parseGoBool, parseGoDurationFlag, parseGoInt } from './go-values.js';

/** The kinds of flag a {@link FlagSet} understands, after Go's `flag` package. */
export type FlagKind = 'string' | 'bool' | 'int' | 'duration' | 'list';

/** A flag definition. `list` flags take one value per use and keep them all, in order. */
export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly usage: string;
  /** Default shown in the usage text and returned when the flag is absent. */
  readonly default?: string | number | boolean;
}

/** Parsed flag values by name: string, number (int; milliseconds for duration), boolean, list. */
export type FlagValues = Readonly<Record<string, string | number | boolean | readonly string[]>>;

/** The outcome of {@link FlagSet.parse}. */
export type FlagParseResult =
  | {
      readonly ok: true;
      readonly values: FlagValues;
      readonly set: ReadonlySet<string>;
      readonly rest: readonly string[];
    }
  | { readonly ok: false; readonly help: boolean; readonly output: string };

/**
 * A command's flags, parsed with the rules of Go's `flag` package (bug-cases-2, "Go behaviours"):
 * `-name value`, `-name=value` and `--name` are the same; names are case-sensitive; a boolean
 * takes a value only as `-name=false`; parsing stops at `--` or the first word that is not a
 * flag; a repeated single-valued flag keeps its last value. `-h` / `-help` (when not defined)
 * ask for the usage text. Errors come back with Go's wording followed by the usage.
 */
export class FlagSet {
  private readonly specs = new Map<string, FlagSpec>();

  /** `name` is the command name printed in `Usage of <name>:`. */
  constructor(
    readonly name: string,
    specs: readonly FlagSpec[],
  ) {
    for (const s of specs) this.specs.set(s.name, s);
  }

  /** Parses `args`; on failure `output` holds the message and usage to print on stderr. */
  parse(args: readonly string[]): FlagParseResult {
    const values: Record<string, string | number | boolean | string[]> = {};
    const set = new Set<string>();
    let i = 0;
    while (i < args.length) {
      const arg = args[i] ?? '';
      if (arg.length < 2 || !arg.startsWith('-')) break;
      i++;
      if (arg === '--') break;
      const body = arg.slice(arg.startsWith('--') ? 2 : 1);
      if (body === '' || body.startsWith('-') || body.startsWith('=')) {
        return this.fail(`bad flag syntax: ${arg}`);
      }
      const eq = body.indexOf('=');
      const name = eq === -1 ? body : body.slice(0, eq);
      let value = eq === -1 ? undefined : body.slice(eq + 1);
      const spec = this.specs.get(name);
      if (!spec) {
        if (name === 'h' || name === 'help') return { ok: false, help: true, output: this.usage() };
        return this.fail(`flag provided but not defined: -${name}`);
      }
      if (spec.kind !== 'bool' && value === undefined) {
        if (i >= args.length) return this.fail(`flag needs an argument: -${name}`);
        value = args[i++];
      }
      const parsed = convert(spec, value);
      if (parsed === undefined) {
        const why = spec.kind === 'string' || spec.kind === 'list' ? '' : 'parse error';
        return this.fail(`invalid value "${value}" for flag -${name}: ${why}`);
      }
      if (spec.kind === 'list') {
        const prior = values[name];
        values[name] = [...(Array.isArray(prior) ? prior : []), parsed as string];
      } else {
        values[name] = parsed;
      }
      set.add(name);
    }
    return { ok: true, values: this.withDefaults(values), set, rest: args.slice(i) };
  }

  /** Go-style usage: `Usage of <name>:` then each flag, sorted by name. */
  usage(): string {
    const names = [...this.specs.keys()].sort();
    const lines = names.map((n) => describeFlag(this.specs.get(n) as FlagSpec));
    return `Usage of ${this.name}:\n${lines.join('')}`;
  }

  private fail(message: string): FlagParseResult {
    return { ok: false, help: false, output: `${message}\n${this.usage()}` };
  }

  private withDefaults(values: Record<string, unknown>): FlagValues {
    const out: Record<string, string | number | boolean | readonly string[]> = {};
    for (const [name, spec] of this.specs) {
      out[name] = (values[name] as FlagValues[string] | undefined) ?? zeroOf(spec);
    }
    return Object.freeze(out);
  }
}

function convert(spec: FlagSpec, value: string | undefined): string | number | boolean | undefined {
  switch (spec.kind) {
    case 'bool':
      return value === undefined ? true : parseGoBool(value);
    case 'int':
      return parseGoInt(value ?? '');
    case 'duration':
      return parseGoDurationFlag(value ?? '');
    default:
      return value;
  }
}

function zeroOf(spec: FlagSpec): string | number | boolean | readonly string[] {
  if (spec.default !== undefined) return spec.default;
  if (spec.kind === 'list') return [];
  if (spec.kind === 'bool') return false;
  return spec.kind === 'string' ? '' : 0;
}

// One flag in Go's PrintDefaults layout.
function describeFlag(spec: FlagSpec): string {
  const typeName = { string: 'string', int: 'int', duration: 'duration', list: 'value', bool: '' };
  const type = typeName[spec.kind];
  let head = `  -${spec.name}`;
  if (type !== '') head += ` ${type}`;
  head += head.length <= 4 ? '\t' : '\n    \t';
  let text = head + spec.usage.replaceAll('\n', '\n    \t');
  const d = spec.default;
  if (d !== undefined && d !== '' && d !== false && d !== 0) {
    if (spec.kind === 'duration' && typeof d === 'number') text += ` (default ${goDuration(d)})`;
    else if (typeof d === 'string') text += ` (default ${JSON.stringify(d)})`;
    else text += ` (default ${String(d)})`;
  }
  return `${text}\n`;
}

/** Formats milliseconds as Go's `time.Duration.String` does for whole milliseconds: `1h0m0s`, `1.5s`, `300ms`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (Math.abs(ms) < 1000) return `${ms}ms`;
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = `${rest / 1000}s`;
  if (h > 0) return `${sign}${h}h${m}m${s}`;
  return m > 0 ? `${sign}${m}m${s}` : `${sign}${s}`;
}
