/**
 * BatchNewX509SVID results written straight to protobuf wire bytes (protobuf encoding guide,
 * "Message Structure": tag = field number << 3 | wire type; length-delimited values carry a
 * varint length). The generic encoder copies each nested message once per level and allocates
 * for every field, which for a batch of SVIDs cost as much as a third of the signature; here each
 * result is one exact-size buffer, written in field-number order so that the bytes are the same
 * as `toBinary` of the equivalent message.
 *
 * The response carries the encoded results as unknown fields numbered 1 (`results`), which the
 * protobuf runtime writes out verbatim: on the wire it is the ordinary repeated `results` field,
 * and any client decodes it as such. In this process the message's `results` array stays empty,
 * so nothing on the server may read results back from it (no interceptor does).
 */
import { create, type UnknownField } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import {
  type BatchNewX509SVIDResponse,
  BatchNewX509SVIDResponseSchema,
} from '../../../gen/spire/api/server/svid/v1/svid_pb.js';

// Tags: field number << 3 | wire type (0 varint, 2 length-delimited).
const RESPONSE_RESULTS = 0x0a; // BatchNewX509SVIDResponse.results = 1
const RESULT_STATUS = 0x0a; // BatchNewX509SVIDResponse.Result.status = 1
const RESULT_SVID = 0x12; // BatchNewX509SVIDResponse.Result.svid = 2
const STATUS_CODE = 0x08; // types.Status.code = 1 (int32)
const STATUS_MESSAGE = 0x12; // types.Status.message = 2
const SVID_CERT_CHAIN = 0x0a; // types.X509SVID.cert_chain = 1 (repeated bytes)
const SVID_ID = 0x12; // types.X509SVID.id = 2
const SVID_EXPIRES_AT = 0x18; // types.X509SVID.expires_at = 3 (int64)
const SPIFFEID_TRUST_DOMAIN = 0x0a; // types.SPIFFEID.trust_domain = 1
const SPIFFEID_PATH = 0x12; // types.SPIFFEID.path = 2

/** `types.SPIFFEID{trust_domain, path}` encoded (the message body, without tag or length). */
export function encodeSpiffeIdMessage(trustDomain: string, path: string): Buffer {
  const td = Buffer.from(trustDomain, 'utf8');
  const p = Buffer.from(path, 'utf8');
  const out = new Writer(stringFieldSize(td.length) + stringFieldSize(p.length));
  if (td.length > 0) out.bytesField(SPIFFEID_TRUST_DOMAIN, td);
  if (p.length > 0) out.bytesField(SPIFFEID_PATH, p);
  return out.done();
}

// Status{code: 0, message: "OK"}: the zero code is not written (proto3 default).
const OK_STATUS_BODY = Buffer.from([STATUS_MESSAGE, 2, 0x4f, 0x4b]);

/**
 * A successful result: status OK and `types.X509SVID{cert_chain, id, expires_at}`, given the
 * encoded SPIFFEID ({@link encodeSpiffeIdMessage}). Returns the value of one `results` field:
 * the length, then the Result message.
 */
export function successResult(
  spiffeId: Uint8Array,
  chain: readonly Uint8Array[],
  expiresAt: number,
): Buffer {
  let svidSize = fieldSize(spiffeId.length);
  for (const cert of chain) svidSize += fieldSize(cert.length);
  if (expiresAt !== 0) svidSize += 1 + varintSize(expiresAt);
  const resultSize = fieldSize(OK_STATUS_BODY.length) + fieldSize(svidSize);

  const out = new Writer(varintSize(resultSize) + resultSize);
  out.varint(resultSize);
  out.bytesField(RESULT_STATUS, OK_STATUS_BODY);
  out.byte(RESULT_SVID);
  out.varint(svidSize);
  for (const cert of chain) out.bytesField(SVID_CERT_CHAIN, cert);
  out.bytesField(SVID_ID, spiffeId);
  if (expiresAt !== 0) {
    out.byte(SVID_EXPIRES_AT);
    out.varint(expiresAt);
  }
  return out.done();
}

/** A failed result: only its status. Returns the value of one `results` field. */
export function failureResult(code: number, message: string): Buffer {
  if (!Number.isInteger(code) || code < 0 || code > 0x7fffffff) {
    throw new RangeError(`status code must be a non-negative int32, got ${code}`);
  }
  const text = Buffer.from(message, 'utf8');
  const statusSize = (code === 0 ? 0 : 1 + varintSize(code)) + stringFieldSize(text.length);
  const resultSize = fieldSize(statusSize);
  const out = new Writer(varintSize(resultSize) + resultSize);
  out.varint(resultSize);
  out.byte(RESULT_STATUS);
  out.varint(statusSize);
  if (code !== 0) {
    out.byte(STATUS_CODE);
    out.varint(code);
  }
  if (text.length > 0) out.bytesField(STATUS_MESSAGE, text);
  return out.done();
}

/** The response carrying `results` (each from {@link successResult} or {@link failureResult}). */
export function batchResponse(results: readonly Uint8Array[]): BatchNewX509SVIDResponse {
  const response = create(BatchNewX509SVIDResponseSchema);
  response.$unknown = results.map(
    (data): UnknownField => ({ no: 1, wireType: WireType.LengthDelimited, data }),
  );
  return response;
}

/**
 * The wire bytes of a `BatchNewX509SVIDResponse` with these `results` (each from
 * {@link successResult} or {@link failureResult}): each result behind the tag of field 1, in one
 * buffer. The same bytes as `toBinary` of {@link batchResponse}, without building the message.
 */
export function batchResponseBytes(results: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const result of results) size += 1 + result.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const result of results) {
    out[at++] = RESPONSE_RESULTS;
    out.set(result, at);
    at += result.length;
  }
  return out;
}

/** Bytes of a length-delimited field (tag of one byte) with a body of `size` bytes. */
function fieldSize(size: number): number {
  return 1 + varintSize(size) + size;
}

/** As {@link fieldSize}, for a proto3 string or bytes field left out when empty. */
function stringFieldSize(size: number): number {
  return size === 0 ? 0 : fieldSize(size);
}

/** Bytes of the varint of a non-negative integer below 2^53. */
function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Writes into a buffer of the exact size computed beforehand. */
class Writer {
  readonly #buf: Buffer;
  #at = 0;

  constructor(size: number) {
    this.#buf = Buffer.allocUnsafe(size);
  }

  byte(value: number): void {
    this.#buf[this.#at++] = value;
  }

  /** A non-negative integer below 2^53, 7 bits a byte, low bits first. */
  varint(value: number): void {
    while (value >= 0x80) {
      this.#buf[this.#at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.#buf[this.#at++] = value;
  }

  bytesField(tag: number, bytes: Uint8Array): void {
    this.byte(tag);
    this.varint(bytes.length);
    this.#buf.set(bytes, this.#at);
    this.#at += bytes.length;
  }

  done(): Buffer {
    if (this.#at !== this.#buf.length) {
      throw new Error(`protobuf size mismatch: wrote ${this.#at} of ${this.#buf.length} bytes`);
    }
    return this.#buf;
  }
}
