// A small DER encoder (ITU-T X.690 §10) for the fixed shapes of certificates we mint. Every
// function returns the complete TLV; constructed values take their already-encoded children.

/** Universal and context tags used by the certificate profiles. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Encodes one TLV with `tag` around the concatenation of `parts`. */
export function tlv(tag: number, ...parts: Uint8Array[]): Buffer {
  let length = 0;
  for (const p of parts) length += p.length;
  const header = lengthBytes(length);
  const out = Buffer.allocUnsafe(1 + header + length);
  out[0] = tag;
  writeLength(out, 1, length, header);
  let offset = 1 + header;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * The tag and length octets alone of a TLV whose value is `length` bytes long, for writing a
 * constructed value around parts that are then passed on as they are, without copying them into
 * a TLV of their own first.
 */
export function header(tag: number, length: number): Buffer {
  const size = lengthBytes(length);
  const out = Buffer.allocUnsafe(1 + size);
  out[0] = tag;
  writeLength(out, 1, length, size);
  return out;
}

function lengthBytes(length: number): number {
  if (length < 0x80) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x1000000) return 4;
  throw new RangeError('der value longer than 16 MiB');
}

function writeLength(out: Buffer, at: number, length: number, size: number): void {
  if (size === 1) {
    out[at] = length;
    return;
  }
  out[at] = 0x80 | (size - 1);
  for (let i = size - 1; i >= 1; i--) {
    out[at + i] = length & 0xff;
    length >>>= 8;
  }
}

/** SEQUENCE of already-encoded elements. */
export function seq(...parts: Uint8Array[]): Buffer {
  return tlv(Tag.SEQUENCE, ...parts);
}

/** SET of already-encoded elements (callers pass them in DER order). */
export function set(...parts: Uint8Array[]): Buffer {
  return tlv(Tag.SET, ...parts);
}

/** Context-specific constructed tag `[n]` (EXPLICIT) around encoded elements. */
export function explicit(n: number, ...parts: Uint8Array[]): Buffer {
  return tlv(0xa0 | n, ...parts);
}

/** A non-negative INTEGER from big-endian magnitude bytes (minimal, with a sign pad when needed). */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const body = magnitude.subarray(start);
  if (body.length === 0) return tlv(Tag.INTEGER, Uint8Array.of(0));
  if ((body[0] as number) & 0x80) return tlv(Tag.INTEGER, Uint8Array.of(0), body);
  return tlv(Tag.INTEGER, body);
}

/** A small non-negative INTEGER. */
export function smallInteger(value: number): Buffer {
  const bytes: number[] = [];
  do {
    bytes.unshift(value & 0xff);
    value = Math.floor(value / 256);
  } while (value > 0);
  return unsignedInteger(Uint8Array.from(bytes));
}

/** OBJECT IDENTIFIER from dotted form (X.690 §8.19). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const body: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift(0x80 | (v & 0x7f));
    body.push(...chunk);
  }
  return tlv(Tag.OID, Uint8Array.from(body));
}

/** BIT STRING with `unusedBits` trailing padding bits in the last byte. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  return tlv(Tag.BIT_STRING, Uint8Array.of(unusedBits), bytes);
}

/** OCTET STRING. */
export function octetString(bytes: Uint8Array): Buffer {
  return tlv(Tag.OCTET_STRING, bytes);
}

/** BOOLEAN TRUE (DER encodes it as 0xff). */
export const TRUE = tlv(Tag.BOOLEAN, Uint8Array.of(0xff));

/** NULL. */
export const NULL = tlv(Tag.NULL);

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** A directory string: PrintableString when the text allows it, else UTF8String (as Go does). */
export function directoryString(text: string): Buffer {
  const tag = PRINTABLE.test(text) ? Tag.PRINTABLE_STRING : Tag.UTF8_STRING;
  return tlv(tag, Buffer.from(text, 'utf8'));
}

/** IA5String (ASCII), used by DNS and URI names. */
export function ia5String(text: string): Buffer {
  return tlv(Tag.IA5_STRING, Buffer.from(text, 'latin1'));
}

/**
 * RFC 5280 §4.1.2.5: validity dates through 2049 are UTCTime, from 2050 GeneralizedTime, both in
 * whole seconds with `Z`. Milliseconds are dropped.
 */
export function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // 2030-01-01T00:00:00.000Z
  const digits = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13);
  const rest = `${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = Number(iso.slice(0, 4));
  if (year >= 1950 && year < 2050) return tlv(Tag.UTC_TIME, Buffer.from(digits.slice(2) + rest));
  return tlv(Tag.GENERALIZED_TIME, Buffer.from(digits + rest));
}
