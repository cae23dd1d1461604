/**
 * Just enough DER to cut a byte string into its top-level elements without trusting any length
 * blindly: every length is checked against the bytes that remain, and only definite, minimal
 * lengths are accepted (X.690 §10.1).
 */

/** Bytes one top-level DER element spans, starting at `offset`; undefined when malformed. */
export function derElementLength(bytes: Uint8Array, offset: number): number | undefined {
  if (offset + 2 > bytes.length) return undefined;
  const first = bytes[offset + 1] as number;
  if (first < 0x80) return fits(bytes, offset, 2, first);

  const count = first & 0x7f;
  // X.690 §8.1.3.6: 0x80 is the indefinite form, which DER forbids; 0xff is reserved.
  if (count === 0 || count > 4 || offset + 2 + count > bytes.length) return undefined;
  if (bytes[offset + 2] === 0) return undefined;

  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
  // X.690 §10.1: the long form only for lengths of 128 and more.
  if (length < 0x80) return undefined;
  return fits(bytes, offset, 2 + count, length);
}

function fits(bytes: Uint8Array, offset: number, header: number, length: number) {
  const total = header + length;
  return offset + total <= bytes.length ? total : undefined;
}

/**
 * Splits concatenated DER elements, each of which must be a SEQUENCE (tag 0x30). Returns
 * undefined when any byte is left over or any element is malformed.
 */
export function splitDerSequences(bytes: Uint8Array): Uint8Array[] | undefined {
  const parts: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0x30) return undefined;
    const length = derElementLength(bytes, offset);
    if (length === undefined) return undefined;
    parts.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return parts;
}

/** True when `bytes` is exactly one DER element, with nothing after it. */
export function isSingleDerElement(bytes: Uint8Array): boolean {
  return bytes.length > 0 && derElementLength(bytes, 0) === bytes.length;
}

/** Header bytes (tag and length) of the element at `offset`; undefined when malformed. */
export function derHeaderLength(bytes: Uint8Array, offset: number): number | undefined {
  if (derElementLength(bytes, offset) === undefined) return undefined;
  const first = bytes[offset + 1] as number;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

/**
 * The child elements of one constructed DER element (a SEQUENCE or a context tag), which must
 * span `element` exactly. Undefined when any length is inconsistent.
 */
export function derChildren(element: Uint8Array): Uint8Array[] | undefined {
  const header = derHeaderLength(element, 0);
  if (header === undefined || derElementLength(element, 0) !== element.length) return undefined;
  const kids: Uint8Array[] = [];
  let offset = header;
  while (offset < element.length) {
    const length = derElementLength(element, offset);
    if (length === undefined) return undefined;
    kids.push(element.subarray(offset, offset + length));
    offset += length;
  }
  return kids;
}
