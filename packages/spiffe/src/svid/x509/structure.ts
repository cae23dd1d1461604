/**
 * The RFC 5280 §4.1 structure of a certificate, checked from its DER bytes the way OpenSSL's
 * decoder (`d2i_X509`, which `new X509Certificate()` runs) checks it, so that a certificate read
 * here without a native object is refused exactly when node would refuse to parse it. Only the
 * structure is checked: the SVID rules are certinfo.ts and rules.ts, shared with the parsers
 * that do create X509Certificate objects.
 *
 * Where OpenSSL is more lenient than DER it is followed, because a stricter check here would
 * refuse what `X509Svid.parse` accepts: inner lengths in long form with leading zeros, a BOOLEAN
 * of any non-zero byte, an explicit FALSE, strings in constructed (BER) form, SEQUENCE OF and
 * SET OF without their constructed bit. Indefinite lengths, which OpenSSL also reads, are refused
 * here: no DER encoder produces them.
 */

/** One element read from a byte string: tag, whether constructed, where its content lies. */
interface Element {
  readonly cls: number;
  readonly tag: number;
  readonly constructed: boolean;
  readonly start: number;
  readonly end: number;
}

const UNIVERSAL = 0;
const CONTEXT = 2;
const Tag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  enumerated: 10,
  utf8String: 12,
  sequence: 16,
  set: 17,
  utcTime: 23,
  generalizedTime: 24,
  universalString: 28,
  bmpString: 30,
} as const;

/** Universal tags a Name's attribute value may have (OpenSSL's ASN1_PRINTABLE string mask). */
const NAME_VALUE_TAGS: ReadonlySet<number> = new Set([
  3, 7, 8, 9, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 28, 29, 30,
]);
/** Of those, the ones OpenSSL converts to UTF-8 when it decodes a Name (and so must convert). */
const CANON_TAGS: ReadonlySet<number> = new Set([12, 19, 20, 22, 28, 30]);

/**
 * True when `der` (exactly one element) is a certificate OpenSSL's decoder accepts: every field
 * of Certificate and TBSCertificate present in order with its type, primitive values well-formed
 * (INTEGER without illegal padding, OBJECT IDENTIFIER subidentifiers, BIT STRING unused bits,
 * BOOLEAN and NULL lengths, Name strings that convert to UTF-8), nothing left over.
 */
export function isCertificateDer(der: Uint8Array): boolean {
  const cert = read(der, 0, der.length);
  if (!cert || cert.end !== der.length || !isSequence(cert)) return false;
  const fields = children(der, cert);
  if (fields?.length !== 3) return false;
  const [tbs, algorithm, signature] = fields as [Element, Element, Element];
  return (
    isTbsCertificate(der, tbs) &&
    isAlgorithmIdentifier(der, algorithm) &&
    isBitString(der, signature)
  );
}

function isTbsCertificate(der: Uint8Array, tbs: Element): boolean {
  if (!isSequence(tbs)) return false;
  const fields = children(der, tbs);
  if (!fields) return false;
  let i = 0;
  const next = () => fields[i];

  // [0] EXPLICIT Version DEFAULT v1
  const version = next();
  if (version && version.cls === CONTEXT && version.tag === 0) {
    if (!version.constructed || !isExplicit(der, version, (e) => isInteger(der, e))) return false;
    i++;
  }
  const mandatory: ((e: Element) => boolean)[] = [
    (e) => isInteger(der, e), // serialNumber
    (e) => isAlgorithmIdentifier(der, e), // signature
    (e) => isName(der, e), // issuer
    (e) => isValidity(der, e),
    (e) => isName(der, e), // subject
    (e) => isSubjectPublicKeyInfo(der, e),
  ];
  for (const check of mandatory) {
    const field = next();
    if (!field || !check(field)) return false;
    i++;
  }

  // [1] IMPLICIT issuerUniqueID, [2] IMPLICIT subjectUniqueID, [3] EXPLICIT extensions: in order.
  for (const tag of [1, 2, 3]) {
    const field = next();
    if (!field || field.cls !== CONTEXT || field.tag !== tag) continue;
    const ok =
      tag === 3
        ? field.constructed && isExplicit(der, field, (e) => isExtensions(der, e))
        : isBitStringShape(stringShape(der, field));
    if (!ok) return false;
    i++;
  }
  return i === fields.length;
}

function isExplicit(der: Uint8Array, wrapper: Element, inner: (e: Element) => boolean): boolean {
  const kids = children(der, wrapper);
  return kids?.length === 1 && inner(kids[0] as Element);
}

function isAlgorithmIdentifier(der: Uint8Array, e: Element): boolean {
  if (!isSequence(e)) return false;
  const kids = children(der, e);
  if (!kids || kids.length < 1 || kids.length > 2) return false;
  const [oid, parameters] = kids as [Element, Element | undefined];
  return isOid(der, oid) && (parameters === undefined || isAny(der, parameters));
}

/**
 * Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue). OpenSSL reads
 * a SEQUENCE OF or SET OF whether or not its constructed bit is set: followed here.
 */
function isName(der: Uint8Array, e: Element): boolean {
  if (!isUniversalTag(e, Tag.sequence)) return false;
  const rdns = contents(der, e);
  if (!rdns) return false;
  for (const rdn of rdns) {
    const attributes = isUniversalTag(rdn, Tag.set) ? contents(der, rdn) : undefined;
    if (!attributes) return false;
    for (const attribute of attributes) {
      const kids = isSequence(attribute) ? children(der, attribute) : undefined;
      if (kids?.length !== 2) return false;
      const [type, value] = kids as [Element, Element];
      if (!isOid(der, type) || !isNameValue(der, value)) return false;
    }
  }
  return true;
}

function isNameValue(der: Uint8Array, e: Element): boolean {
  if (e.cls !== UNIVERSAL || !NAME_VALUE_TAGS.has(e.tag)) return false;
  // OpenSSL takes a SEQUENCE whole (unread) when it is constructed, and refuses it otherwise.
  if (e.tag === Tag.sequence) return e.constructed;
  if (e.tag === Tag.bitString) return isBitStringShape(stringShape(der, e));
  if (!CANON_TAGS.has(e.tag)) return stringShape(der, e) !== undefined;
  const content = stringContent(der, e);
  return content !== undefined && convertsToUtf8(content, e.tag);
}

function isValidity(der: Uint8Array, e: Element): boolean {
  if (!isSequence(e)) return false;
  const kids = children(der, e);
  return kids?.length === 2 && kids.every((t) => isTime(der, t));
}

/** Time ::= CHOICE { UTCTime, GeneralizedTime }; the content is read by certinfo.ts. */
function isTime(der: Uint8Array, e: Element): boolean {
  if (e.cls !== UNIVERSAL || (e.tag !== Tag.utcTime && e.tag !== Tag.generalizedTime)) return false;
  return stringShape(der, e) !== undefined;
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }. */
function isSubjectPublicKeyInfo(der: Uint8Array, e: Element): boolean {
  if (!isSequence(e)) return false;
  const kids = children(der, e);
  if (kids?.length !== 2) return false;
  return isAlgorithmIdentifier(der, kids[0] as Element) && isBitString(der, kids[1] as Element);
}

/**
 * Extensions ::= SEQUENCE OF SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, OCTET STRING }
 * (the SEQUENCE OF read whatever its constructed bit, as OpenSSL does).
 */
function isExtensions(der: Uint8Array, e: Element): boolean {
  if (!isUniversalTag(e, Tag.sequence)) return false;
  const list = contents(der, e);
  if (!list) return false;
  for (const extension of list) {
    if (!isSequence(extension)) return false;
    const kids = children(der, extension);
    if (!kids || kids.length < 2 || kids.length > 3) return false;
    const [id, ...rest] = kids as [Element, ...Element[]];
    if (!isOid(der, id)) return false;
    const [critical, value] = rest.length === 2 ? rest : [undefined, rest[0]];
    if (critical && !isBoolean(critical)) return false;
    if (!value || !isUniversalTag(value, Tag.octetString) || !stringShape(der, value)) {
      return false;
    }
  }
  return true;
}

/**
 * ANY (an algorithm's parameters): one element. Other classes, and a constructed SEQUENCE or
 * SET, are taken whole;
 * universal primitives must decode as their type; other universal types are strings.
 */
function isAny(der: Uint8Array, e: Element): boolean {
  if (e.cls !== UNIVERSAL) return true;
  if (e.tag === Tag.sequence || e.tag === Tag.set) return e.constructed;
  switch (e.tag) {
    case 0:
      // With no content, universal tag 0 is the end-of-contents marker, which ends no SEQUENCE.
      return !e.constructed && e.end > e.start;
    case Tag.boolean:
      return isBoolean(e);
    case Tag.null:
      return !e.constructed && e.end === e.start;
    case Tag.oid:
      return !e.constructed && isOidContent(der, e);
    case Tag.integer:
    case Tag.enumerated:
      return !e.constructed && isIntegerContent(der, e);
    case Tag.bitString:
      return isBitStringShape(stringShape(der, e));
    default: {
      const shape = stringShape(der, e);
      return shape !== undefined && isStringLength(e.tag, shape.length);
    }
  }
}

/** OpenSSL's length rules for string types: BMPString in 2-byte, UniversalString in 4-byte units. */
function isStringLength(tag: number, length: number): boolean {
  if (tag === Tag.bmpString) return length % 2 === 0;
  if (tag === Tag.universalString) return length % 4 === 0;
  return true;
}

/**
 * OpenSSL's ASN1_MAX_STRING_NEST: a constructed string may hold constructed parts this many
 * levels deep (six constructed levels in all); a seventh is refused.
 */
const MAX_STRING_NEST = 5;

/** The length and first byte of a string element's bytes (see {@link stringContent}). */
interface StringShape {
  readonly length: number;
  readonly first: number | undefined;
}

/**
 * The length and first byte of a string element's bytes without joining them: a constructed
 * (BER) string is read as OpenSSL reads it (any tag inside, nested up to
 * {@link MAX_STRING_NEST} levels, no end-of-contents marker). Undefined when malformed. Where
 * only the shape matters, a string of many small parts costs no copy and no list of parts.
 */
function stringShape(der: Uint8Array, e: Element, depth = 0): StringShape | undefined {
  if (!e.constructed) {
    return { length: e.end - e.start, first: e.end > e.start ? der[e.start] : undefined };
  }
  if (depth > MAX_STRING_NEST) return undefined;
  let length = 0;
  let first: number | undefined;
  for (let offset = e.start; offset < e.end; ) {
    if (der[offset] === 0 && der[offset + 1] === 0) return undefined;
    const part = read(der, offset, e.end);
    const shape = part && stringShape(der, part, depth + 1);
    if (!(part && shape)) return undefined;
    if (length === 0) first = shape.first;
    length += shape.length;
    offset = part.end;
  }
  return { length, first: length === 0 ? undefined : first };
}

/**
 * The bytes of a string element: its content when primitive; when constructed, the contents of
 * the elements inside it joined (checked by {@link stringShape}, then copied into one buffer).
 */
function stringContent(der: Uint8Array, e: Element): Uint8Array | undefined {
  if (!e.constructed) return der.subarray(e.start, e.end);
  const shape = stringShape(der, e);
  if (!shape) return undefined;
  const out = Buffer.allocUnsafe(shape.length);
  copyString(der, e, out, 0);
  return out;
}

/** Copies the bytes of a string element that {@link stringShape} accepted; returns the end. */
function copyString(der: Uint8Array, e: Element, out: Uint8Array, at: number): number {
  if (!e.constructed) {
    out.set(der.subarray(e.start, e.end), at);
    return at + e.end - e.start;
  }
  let next = at;
  for (let offset = e.start; offset < e.end; ) {
    const part = read(der, offset, e.end) as Element;
    next = copyString(der, part, out, next);
    offset = part.end;
  }
  return next;
}

/** X.690 §8.6 on a string's shape: at least the byte counting unused bits, and it is 0 to 7. */
function isBitStringShape(shape: StringShape | undefined): boolean {
  return shape !== undefined && shape.first !== undefined && shape.first <= 7;
}

function isSequence(e: Element): boolean {
  return isUniversal(e, Tag.sequence, true);
}

function isUniversalTag(e: Element, tag: number): boolean {
  return e.cls === UNIVERSAL && e.tag === tag;
}

function isUniversal(e: Element, tag: number, constructed: boolean): boolean {
  return e.cls === UNIVERSAL && e.tag === tag && e.constructed === constructed;
}

function isBoolean(e: Element): boolean {
  return isUniversal(e, Tag.boolean, false) && e.end - e.start === 1;
}

function isInteger(der: Uint8Array, e: Element): boolean {
  return isUniversal(e, Tag.integer, false) && isIntegerContent(der, e);
}

/** X.690 §8.3: at least one byte; the first nine bits not all equal (OpenSSL's padding rule). */
function isIntegerContent(der: Uint8Array, e: Element): boolean {
  const length = e.end - e.start;
  if (length === 0) return false;
  if (length === 1) return true;
  const first = der[e.start] as number;
  const second = der[e.start + 1] as number;
  if (first === 0) return (second & 0x80) !== 0;
  if (first !== 0xff) return true;
  // 0xff followed only by zero bytes is the minimal form of its negative value.
  let rest = 0;
  for (let i = e.start + 1; i < e.end; i++) rest |= der[i] as number;
  return rest === 0 || (second & 0x80) === 0;
}

function isOid(der: Uint8Array, e: Element): boolean {
  return isUniversal(e, Tag.oid, false) && isOidContent(der, e);
}

/** X.690 §8.19: subidentifiers in base 128, none starting with 0x80, the last byte complete. */
function isOidContent(der: Uint8Array, e: Element): boolean {
  if (e.end === e.start || (der[e.end - 1] as number) & 0x80) return false;
  for (let i = e.start; i < e.end; i++) {
    if (der[i] === 0x80 && (i === e.start || !((der[i - 1] as number) & 0x80))) return false;
  }
  return true;
}

function isBitString(der: Uint8Array, e: Element): boolean {
  return isUniversalTag(e, Tag.bitString) && isBitStringShape(stringShape(der, e));
}

/**
 * Whether OpenSSL converts a Name string to UTF-8 (it does when decoding a Name): UTF8String must
 * be well-formed UTF-8 without overlong forms, BMPString and UniversalString whole code units;
 * no code point may be a surrogate or above U+10FFFF. The 8-bit string types always convert.
 */
function convertsToUtf8(bytes: Uint8Array, tag: number): boolean {
  if (tag === Tag.utf8String) return isUtf8(bytes);
  const unit = tag === Tag.bmpString ? 2 : tag === Tag.universalString ? 4 : 1;
  if (bytes.length % unit !== 0) return false;
  if (unit === 1) return true;
  for (let i = 0; i < bytes.length; i += unit) {
    let value = 0;
    for (let j = 0; j < unit; j++) value = value * 256 + (bytes[i + j] as number);
    if (!isScalarValue(value)) return false;
  }
  return true;
}

function isUtf8(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length) {
    const first = bytes[i] as number;
    const extra = first < 0x80 ? 0 : first < 0xc0 ? -1 : first < 0xe0 ? 1 : first < 0xf0 ? 2 : 3;
    if (extra < 0 || first >= 0xf8 || i + extra >= bytes.length) return false;
    let value = extra === 0 ? first : first & (0x3f >> extra);
    for (let j = 1; j <= extra; j++) {
      const next = bytes[i + j] as number;
      if ((next & 0xc0) !== 0x80) return false;
      value = value * 64 + (next & 0x3f);
    }
    const least = [0, 0x80, 0x800, 0x10000][extra] as number;
    if (value < least || !isScalarValue(value)) return false;
    i += extra + 1;
  }
  return true;
}

function isScalarValue(value: number): boolean {
  return value < 0x110000 && (value < 0xd800 || value > 0xdfff);
}

/** The elements inside a constructed element, which must fill it exactly. */
function children(der: Uint8Array, e: Element): Element[] | undefined {
  return e.constructed ? contents(der, e) : undefined;
}

/** The elements that fill an element's content exactly, whatever its constructed bit says. */
function contents(der: Uint8Array, e: Element): Element[] | undefined {
  const kids: Element[] = [];
  let offset = e.start;
  while (offset < e.end) {
    const kid = read(der, offset, e.end);
    if (!kid) return undefined;
    kids.push(kid);
    offset = kid.end;
  }
  return kids;
}

/**
 * Reads the element at `offset`, which must end by `limit`. Tags in high-tag-number form are
 * read (as tag 31 and above); lengths as OpenSSL reads them: short form, or long form of up to
 * eight significant bytes after any leading zeros. The indefinite form is refused.
 */
function read(der: Uint8Array, offset: number, limit: number): Element | undefined {
  if (offset >= limit) return undefined;
  const id = der[offset] as number;
  let p = offset + 1;
  let tag = id & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (;;) {
      if (p >= limit || tag > 0xffffff) return undefined;
      const b = der[p++] as number;
      tag = tag * 128 + (b & 0x7f);
      if (!(b & 0x80)) break;
    }
  }
  if (p >= limit) return undefined;
  const first = der[p++] as number;
  let length = first;
  if (first & 0x80) {
    let count = first & 0x7f;
    if (count === 0 || p + count > limit) return undefined;
    while (count > 0 && der[p] === 0) {
      p++;
      count--;
    }
    if (count > 6) return undefined;
    length = 0;
    for (; count > 0; count--) length = length * 256 + (der[p++] as number);
  }
  if (p + length > limit) return undefined;
  return { cls: id >> 6, tag, constructed: (id & 0x20) !== 0, start: p, end: p + length };
}
