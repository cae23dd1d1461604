// A minimal DER reader: just enough to find the parts of a certificate or a public key that the
// templates reuse (issuer name, subject public key bits). Not a general ASN.1 parser.
import { CredTemplateError } from './errors.js';

/** One TLV inside a buffer: `start` is the tag's offset, `body` the content range. */
export interface Tlv {
  tag: number;
  start: number;
  bodyStart: number;
  end: number;
}

/** Reads the TLV at `offset`, checking that it fits inside `buf` (up to `limit`). */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  const tag = buf[offset];
  let lengthByte = buf[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw malformed();
  let pos = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 3) throw malformed();
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = buf[pos++];
      if (lengthByte === undefined) throw malformed();
      length = length * 256 + lengthByte;
    }
  }
  const end = pos + length;
  if (end > limit) throw malformed();
  return { tag, start: offset, bodyStart: pos, end };
}

/** The children of a constructed TLV, in order. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.bodyStart; at < parent.end; ) {
    const child = readTlv(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The bytes of a TLV, header included. */
export function bytesOf(buf: Uint8Array, tlv: Tlv): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + tlv.start, tlv.end - tlv.start);
}

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
export function spkiKeyBits(spki: Uint8Array): Buffer {
  const bits = spkiBitString(spki);
  if (!bits) {
    throw new CredTemplateError(
      'ERR_CREDTEMPLATE_BAD_PUBLIC_KEY',
      'public key must be a DER SubjectPublicKeyInfo',
    );
  }
  return Buffer.from(
    spki.buffer,
    spki.byteOffset + bits.bodyStart + 1,
    bits.end - bits.bodyStart - 1,
  );
}

function spkiBitString(spki: Uint8Array): Tlv | undefined {
  try {
    const outer = readTlv(spki, 0);
    const [alg, bits, extra] = children(spki, outer);
    const shaped = outer.tag === 0x30 && alg?.tag === 0x30 && bits?.tag === 0x03;
    return shaped && !extra && outer.end === spki.length ? bits : undefined;
  } catch {
    return undefined;
  }
}

/** The DER subject Name of a DER certificate (RFC 5280 §4.1). */
export function certificateSubject(cert: Uint8Array): Buffer {
  const tbs = children(cert, readTlv(cert, 0))[0];
  if (!tbs) throw malformed();
  const fields = children(cert, tbs);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (subject?.tag !== 0x30) throw malformed();
  return bytesOf(cert, subject);
}

function malformed(): CredTemplateError {
  return new CredTemplateError(
    'ERR_CREDTEMPLATE_MALFORMED_DER',
    'der value is truncated or malformed',
  );
}
