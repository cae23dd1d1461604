/**
 * gRPC over HTTP/2 wire helpers (grpc/grpc PROTOCOL-HTTP2.md): the 5-byte length-prefixed
 * message framing, gzip message encoding, the `grpc-timeout` header and the percent-encoded
 * `grpc-message`. Shared by hand-written handlers that serve hot methods directly on `node:http2`.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { Code, ConnectError } from '@connectrpc/connect';

/** PROTOCOL-HTTP2 "Length-Prefixed-Message": 1 byte compressed flag, 4 bytes length (BE). */
export const FRAME_HEADER_BYTES = 5;

/** One received message: its bytes and whether the sender flagged it compressed. */
export interface ReceivedMessage {
  readonly compressed: boolean;
  readonly data: Uint8Array;
}

/**
 * Splits a request body into gRPC messages as its chunks arrive. A length prefix above
 * `maxBytes` is refused before any of the message is buffered, so a caller cannot make the
 * server hold more than `maxBytes` plus one chunk.
 *
 * Bytes of an unfinished message are copied into one buffer grown by doubling (never past the
 * message's announced size), never kept as the chunks they came in: RFC 9113 §6.1 lets a sender
 * split a message into one-byte DATA frames, and one held chunk object per byte made 1 MB sent
 * cost ~160 MB of memory. Whole messages in a chunk are handed out without a copy.
 */
export class MessageReader {
  readonly #maxBytes: number;
  // Received bytes not yet handed out, at the start of #held. Messages handed out may be views
  // of #held: once one is, the rest moves to a new buffer, so a view never changes later.
  #held: Buffer = EMPTY;
  #heldBytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** True when bytes of an unfinished message (or prefix) are still held. */
  get partial(): boolean {
    return this.#heldBytes > 0;
  }

  /**
   * Adds a chunk; returns the messages it completed.
   * @throws ConnectError ResourceExhausted when a prefix announces more than `maxBytes`
   */
  push(chunk: Buffer): ReceivedMessage[] {
    const inPlace = this.#heldBytes === 0;
    const data = inPlace ? chunk : this.#append(chunk);
    const out: ReceivedMessage[] = [];
    let offset = 0;
    while (data.length - offset >= FRAME_HEADER_BYTES) {
      const length = data.readUInt32BE(offset + 1);
      if (length > this.#maxBytes) {
        throw new ConnectError(
          `received message larger than max (${length} vs. ${this.#maxBytes})`,
          Code.ResourceExhausted,
        );
      }
      const end = offset + FRAME_HEADER_BYTES + length;
      if (data.length < end) break;
      out.push({
        compressed: data[offset] !== 0,
        data: data.subarray(offset + FRAME_HEADER_BYTES, end),
      });
      offset = end;
    }
    if (offset === data.length) {
      this.#held = EMPTY;
      this.#heldBytes = 0;
    } else if (inPlace || offset > 0) {
      // Keep a copy of the unfinished rest: not the caller's chunk, not a buffer handed out.
      this.#held = Buffer.from(data.subarray(offset));
      this.#heldBytes = this.#held.length;
    }
    return out;
  }

  // Copies `chunk` after the held bytes, growing #held by doubling; returns the held bytes.
  #append(chunk: Buffer): Buffer {
    const needed = this.#heldBytes + chunk.length;
    if (needed > this.#held.length) {
      let capacity = Math.max(needed, this.#held.length * 2, MIN_CAPACITY);
      if (this.#heldBytes >= FRAME_HEADER_BYTES) {
        const whole = FRAME_HEADER_BYTES + this.#held.readUInt32BE(1);
        if (whole >= needed) capacity = Math.min(capacity, whole);
      }
      const grown = Buffer.allocUnsafe(capacity);
      this.#held.copy(grown, 0, 0, this.#heldBytes);
      this.#held = grown;
    }
    chunk.copy(this.#held, this.#heldBytes);
    this.#heldBytes = needed;
    return this.#held.subarray(0, needed);
  }
}

const EMPTY = Buffer.alloc(0);
// The first buffer for a split message: small messages then take one or two copies at most.
const MIN_CAPACITY = 256;

/** Frames one uncompressed message: flag 0, big-endian length, the bytes. */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, FRAME_HEADER_BYTES);
  return out;
}

/**
 * PROTOCOL-HTTP2 "Message-Encoding": the `grpc-encoding` values whose compressed messages are
 * read. compression.md: a message compressed otherwise is Unimplemented, and the answer's
 * `grpc-accept-encoding` lists these.
 */
export const ACCEPTED_ENCODINGS: readonly string[] = ['identity', 'gzip'];

/** PROTOCOL-HTTP2 "Message-Accept-Encoding" value naming {@link ACCEPTED_ENCODINGS}. */
export const ACCEPT_ENCODING = ACCEPTED_ENCODINGS.join(',');

const gunzip = promisify(zlib.gunzip);

/**
 * Inflates one message sent with the compressed flag under `grpc-encoding: gzip`. The limit
 * applies to the inflated size and inflation stops as soon as it is passed (zlib's
 * `maxOutputLength`, checked after each output chunk), so a small "zip bomb" never costs more
 * than `maxBytes` of memory.
 * @throws ConnectError ResourceExhausted (more than `maxBytes` once inflated), Internal (not
 *   valid gzip data)
 */
export async function gunzipMessage(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    return await gunzip(data, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ConnectError(
        `received message after decompression larger than max (over ${maxBytes})`,
        Code.ResourceExhausted,
      );
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConnectError(`failed to decompress the request message: ${reason}`, Code.Internal);
  }
}

const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/**
 * PROTOCOL-HTTP2 "Timeout": `grpc-timeout` is 1 to 8 ASCII digits and a unit (H, M, S, m, u, n).
 * Returns the timeout in milliseconds, or undefined when the header is malformed.
 */
export function parseGrpcTimeout(value: string): number | undefined {
  if (!/^\d{1,8}[HMSmun]$/.test(value)) return undefined;
  const unit = TIMEOUT_UNIT_MS[value.slice(-1)] as number;
  return Number(value.slice(0, -1)) * unit;
}

/**
 * PROTOCOL-HTTP2 "Status-Message": the UTF-8 bytes of the message, percent-encoded except for
 * printable ASCII other than `%` (0x20-0x24, 0x26-0x7E).
 */
export function encodeGrpcMessage(message: string): string {
  // Fast path: most status texts are plain printable ASCII.
  if (/^[\x20-\x24\x26-\x7e]*$/.test(message)) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** PROTOCOL-HTTP2 "Content-Type": `application/grpc`, or `application/grpc+proto`. */
export function isGrpcProtoContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semicolon = value.indexOf(';');
  const type = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/grpc' || type === 'application/grpc+proto';
}
