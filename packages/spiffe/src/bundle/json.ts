import { BundleError, BundleErrorCode } from './errors.js';

/**
 * A JSON number kept as its source text, so that 64-bit integers such as `spiffe_sequence`
 * survive exactly (Bundle §4.1.1 asks for at least 64 bits; `JSON.parse` keeps 53).
 */
export class JsonNumber {
  /** @param text the literal exactly as written, e.g. `9007199254740993` or `-1.5e3` */
  constructor(readonly text: string) {}

  /** The value as a bigint when the literal is a plain integer (no fraction, no exponent). */
  toBigInt(): bigint | undefined {
    return /^-?(?:0|[1-9][0-9]*)$/.test(this.text) ? BigInt(this.text) : undefined;
  }
}

/** A JSON object: members in document order, each name once. */
export type JsonObject = Map<string, JsonValue>;

/** A value read by {@link parseStrictJson}. */
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

/** Deepest nesting of arrays and objects {@link parseStrictJson} accepts by default. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * Reads one RFC 8259 JSON text strictly: numbers keep their source text, an object that names a
 * member twice is an error (Bundle §5.1.1: consumers must reject duplicate trust domain keys when
 * the parser can tell), nesting is bounded, and bytes must be valid UTF-8.
 */
export function parseStrictJson(
  input: string | Uint8Array,
  maxDepth = DEFAULT_MAX_JSON_DEPTH,
): JsonValue {
  const reader = new JsonReader(decodeUtf8(input), maxDepth);
  return reader.readDocument();
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  if (!(input instanceof Uint8Array)) {
    const got = input === null ? 'null' : typeof input;
    throw new TypeError(`json must be a string or a Uint8Array, got ${got}`);
  }
  try {
    return utf8.decode(input);
  } catch (cause) {
    throw new BundleError(BundleErrorCode.JsonSyntax, 'json input is not valid utf-8', { cause });
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const PLAIN_RUN = /[^"\\\u0000-\u001f]*/y;
const ESCAPES = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);

class JsonReader {
  #pos = 0;
  #depth = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  readDocument(): JsonValue {
    const value = this.#readValue();
    this.#skipSpace();
    if (this.#pos !== this.text.length) this.#fail('unexpected text after the json value');
    return value;
  }

  #fail(rule: string): never {
    throw new BundleError(
      BundleErrorCode.JsonSyntax,
      `json syntax error at offset ${this.#pos}: ${rule}`,
    );
  }

  #skipSpace(): void {
    while (this.#pos < this.text.length) {
      const c = this.text.charCodeAt(this.#pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.#pos += 1;
    }
  }

  #readValue(): JsonValue {
    this.#skipSpace();
    const c = this.text[this.#pos];
    if (c === '{') return this.#nested(() => this.#readObject());
    if (c === '[') return this.#nested(() => this.#readArray());
    if (c === '"') return this.#readString();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.#readNumber();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.#pos)) {
        this.#pos += word.length;
        return value;
      }
    }
    return this.#fail(c === undefined ? 'unexpected end of input' : 'expected a value');
  }

  #nested<T>(read: () => T): T {
    this.#depth += 1;
    if (this.#depth > this.maxDepth) {
      throw new BundleError(
        BundleErrorCode.JsonTooDeep,
        `json nesting is deeper than ${this.maxDepth} levels`,
      );
    }
    const value = read();
    this.#depth -= 1;
    return value;
  }

  #readObject(): JsonObject {
    const members: JsonObject = new Map();
    this.#pos += 1;
    this.#skipSpace();
    if (this.#eat('}')) return members;
    do {
      this.#skipSpace();
      if (this.text[this.#pos] !== '"') this.#fail('expected a member name');
      const name = this.#readString();
      this.#skipSpace();
      if (!this.#eat(':')) this.#fail('expected ":" after a member name');
      if (members.has(name)) {
        throw new BundleError(
          BundleErrorCode.JsonDuplicateKey,
          `json object names member ${JSON.stringify(name.slice(0, 64))} more than once`,
        );
      }
      members.set(name, this.#readValue());
      this.#skipSpace();
    } while (this.#eat(','));
    if (!this.#eat('}')) this.#fail('expected "," or "}" in an object');
    return members;
  }

  #readArray(): JsonValue[] {
    const items: JsonValue[] = [];
    this.#pos += 1;
    this.#skipSpace();
    if (this.#eat(']')) return items;
    do {
      items.push(this.#readValue());
      this.#skipSpace();
    } while (this.#eat(','));
    if (!this.#eat(']')) this.#fail('expected "," or "]" in an array');
    return items;
  }

  #eat(c: string): boolean {
    if (this.text[this.#pos] !== c) return false;
    this.#pos += 1;
    return true;
  }

  #readNumber(): JsonNumber {
    NUMBER.lastIndex = this.#pos;
    const match = NUMBER.exec(this.text);
    if (match === null) this.#fail('malformed number');
    this.#pos += match[0].length;
    return new JsonNumber(match[0]);
  }

  #readString(): string {
    let out = '';
    this.#pos += 1;
    for (;;) {
      PLAIN_RUN.lastIndex = this.#pos;
      const run = PLAIN_RUN.exec(this.text)?.[0] ?? '';
      out += run;
      this.#pos += run.length;
      const c = this.text[this.#pos];
      if (c === '"') {
        this.#pos += 1;
        return out;
      }
      if (c !== '\\')
        this.#fail(c === undefined ? 'unterminated string' : 'control character in a string');
      out += this.#readEscape();
    }
  }

  #readEscape(): string {
    const c = this.text[this.#pos + 1] ?? '';
    this.#pos += 2;
    const simple = ESCAPES.get(c);
    if (simple !== undefined) return simple;
    const hex = this.text.slice(this.#pos, this.#pos + 4);
    if (c !== 'u' || !/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail('invalid escape in a string');
    this.#pos += 4;
    return String.fromCharCode(Number.parseInt(hex, 16));
  }
}
