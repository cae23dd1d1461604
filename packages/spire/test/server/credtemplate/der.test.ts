import { describe, expect, it } from 'vitest';
import { header, oid, time, tlv, unsignedInteger } from '../../../src/server/credtemplate/der.js';

const hex = (b: Buffer) => b.toString('hex');

describe('DER encoder', () => {
  it.each([
    ['2049-12-31T23:59:59Z', '170d3439313233313233353935395a'],
    ['2050-01-01T00:00:00Z', '180f32303530303130313030303030305a'],
  ])(
    'encodes %s as UTCTime before 2050 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)',
    (iso, want) => {
      expect(hex(time(Date.parse(iso)))).toBe(want);
    },
  );

  it.each([
    ['00', '020100'],
    ['7f', '02017f'],
    ['80', '02020080'],
    ['0000ff', '020200ff'],
  ])('encodes unsigned integer %s minimally', (input, want) => {
    expect(hex(unsignedInteger(Buffer.from(input, 'hex')))).toBe(want);
  });

  it.each([
    ['1.2.840.10045.4.3.2', '06082a8648ce3d040302'],
    ['2.5.29.37', '0603551d25'],
  ])('encodes OID %s', (dotted, want) => {
    expect(hex(oid(dotted))).toBe(want);
  });

  it.each([
    [127, '047f'],
    [128, '048180'],
    [300, '0482012c'],
  ])('encodes a length of %d in the shortest form', (length, prefix) => {
    expect(hex(tlv(0x04, Buffer.alloc(length))).slice(0, prefix.length)).toBe(prefix);
  });

  it.each([
    [0, '3000'],
    [127, '307f'],
    [128, '308180'],
    [300, '3082012c'],
    [70_000, '3083011170'],
  ])('writes the header of a %d-byte value as tlv() does (X.690 §8.1.3)', (length, want) => {
    const body = Buffer.alloc(length, 7);
    expect(hex(header(0x30, length))).toBe(want);
    expect(Buffer.concat([header(0x30, length), body]).equals(tlv(0x30, body))).toBe(true);
  });
});
