/**
 * One gRPC call served by hand on a raw `node:http2` stream (grpc/grpc PROTOCOL-HTTP2.md), for
 * methods too hot for a general-purpose stack. Unary and server-streaming calls only: the one
 * request message is read, then any number of response messages, then the status.
 */
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { StatusSchema } from '../../gen/google/rpc/status_pb.js';
import { CallSignal } from './call-signal.js';
import {
  ACCEPT_ENCODING,
  ACCEPTED_ENCODINGS,
  encodeGrpcMessage,
  frameMessage,
  gunzipMessage,
  MessageReader,
  parseGrpcTimeout,
  type ReceivedMessage,
} from './wire.js';

/** Options of {@link ServerCall}. */
export interface ServerCallOptions {
  /** Largest request message accepted; a larger one is ResourceExhausted before it is read. */
  readonly readMaxBytes: number;
  /** Receives an error that is not a status (a bug) before the caller is told Internal. */
  readonly onInternalError: (err: unknown) => void;
}

// Every answer names the request encodings read (PROTOCOL-HTTP2 "Message-Accept-Encoding");
// answers themselves are never compressed.
const RESPONSE_HEADERS = {
  ':status': 200,
  'content-type': 'application/grpc',
  'grpc-accept-encoding': ACCEPT_ENCODING,
} as const;

// Reasons the call's signal ends with: prebuilt, so ending a call allocates nothing for them.
const CANCELLED = new ConnectError('the client cancelled the call', Code.Canceled);
const ENDED = new ConnectError('the call ended', Code.Canceled);
const DEADLINE = () => new ConnectError('deadline exceeded', Code.DeadlineExceeded);

// setTimeout cannot wait longer than this (about 24.8 days): a longer deadline is none at all.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The server side of one call. `signal` aborts when the client cancels or resets the stream, the
 * `grpc-timeout` deadline passes, or the call ends; work for the call should stop then.
 */
export class ServerCall {
  readonly #stream: ServerHttp2Stream;
  readonly #options: ServerCallOptions;
  readonly #signal = new CallSignal();
  readonly #encoding: string | undefined;
  #headersSent = false;
  #done = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, options: ServerCallOptions) {
    this.#stream = stream;
    this.#options = options;
    const encoding = headers['grpc-encoding'];
    this.#encoding = typeof encoding === 'string' ? encoding : undefined;
    // A reset from the client (CANCEL or an error code) must never become an uncaught error.
    stream.on('error', ignore);
    stream.once('close', () => {
      this.#done = true;
      this.#stopTimer();
      this.#signal.abort(CANCELLED);
    });
    this.#startDeadline(headers['grpc-timeout']);
  }

  /** Aborts once the call is over for any reason. */
  get signal(): CallSignal {
    return this.#signal;
  }

  /**
   * Reads the request's one message (PROTOCOL-HTTP2 "Length-Prefixed-Message"), inflated when
   * its compressed flag is set under `grpc-encoding: gzip`; `readMaxBytes` bounds both the
   * message as sent and as inflated.
   * @throws ConnectError ResourceExhausted (over the limit), Unimplemented (no or several
   *   messages, a compression other than gzip), Internal (truncated, not valid gzip, or the
   *   compressed flag without a `grpc-encoding`), Canceled (the stream closed first)
   */
  async readMessage(): Promise<Uint8Array> {
    const message = await this.#readOne();
    if (!message.compressed) return message.data;
    const data = await gunzipMessage(message.data, this.#options.readMaxBytes);
    if (this.#signal.aborted) throw this.#signal.reason;
    return data;
  }

  /**
   * {@link readMessage}, decoded as `schema`; bytes that are not that message are Internal
   * `<parseError>: <reason>` (each service keeps the wording its clients know).
   */
  async readRequest<D extends DescMessage>(
    schema: D,
    parseError: string,
  ): Promise<MessageShape<D>> {
    const bytes = await this.readMessage();
    try {
      return fromBinary(schema, bytes);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ConnectError(`${parseError}: ${reason}`, Code.Internal);
    }
  }

  #readOne(): Promise<ReceivedMessage> {
    const stream = this.#stream;
    const reader = new MessageReader(this.#options.readMaxBytes);
    const messages: ReceivedMessage[] = [];
    return new Promise<ReceivedMessage>((resolve, reject) => {
      const onAbort = () => stop(this.#signal.reason);
      const stop = (err: unknown) => {
        stream.off('data', onData);
        stream.off('end', onEnd);
        this.#signal.removeEventListener('abort', onAbort);
        // Keep draining whatever the client still sends; end() resets the stream.
        stream.resume();
        reject(err);
      };
      const onData = (chunk: Buffer) => {
        try {
          for (const message of reader.push(chunk)) {
            this.#checkCompression(message.compressed);
            messages.push(message);
            if (messages.length > 1) throw extraMessage();
          }
        } catch (err) {
          stop(err);
        }
      };
      const onEnd = () => {
        stream.off('data', onData);
        // Read whole: the call's end no longer concerns this read.
        this.#signal.removeEventListener('abort', onAbort);
        if (reader.partial) reject(truncated());
        else if (messages.length === 0) reject(missingMessage());
        else resolve(messages[0] as ReceivedMessage);
      };
      if (this.#done) {
        reject(CANCELLED);
        return;
      }
      stream.on('data', onData);
      stream.once('end', onEnd);
      this.#signal.addEventListener('abort', onAbort);
    });
  }

  /** Sends one message (response headers first if not yet sent); false once the call is over. */
  send(message: Uint8Array): boolean {
    if (this.#done || this.#stream.destroyed || this.#stream.closed) return false;
    try {
      if (!this.#headersSent) {
        this.#headersSent = true;
        this.#stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
      }
      this.#stream.write(frameMessage(message));
      return true;
    } catch {
      // The stream went away under us (the session failed): the call is over.
      this.#cut();
      return false;
    }
  }

  /**
   * Ends the call: OK without `error`, else the status of a ConnectError (anything else is
   * Internal, after `onInternalError`). Before any message, the status goes in a trailers-only
   * response. A client still sending is then reset with NO_ERROR, as gRPC servers do.
   */
  end(error?: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#stopTimer();
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) {
      this.#signal.abort(CANCELLED);
      return;
    }
    const status = this.#status(error);
    try {
      if (!this.#headersSent) {
        this.#headersSent = true;
        stream.respond({ ...RESPONSE_HEADERS, ...status }, { endStream: true });
      } else {
        stream.once('wantTrailers', () => stream.sendTrailers(status));
        stream.end();
      }
      if (!stream.readableEnded) stream.close(http2.constants.NGHTTP2_NO_ERROR);
    } catch {
      this.#cut();
      return;
    }
    this.#signal.abort(ENDED);
  }

  // Gives up on a stream that can no longer carry a status: reset it, stop the call's work.
  #cut(): void {
    this.#done = true;
    this.#stopTimer();
    if (!this.#stream.destroyed) this.#stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    this.#signal.abort(CANCELLED);
  }

  #status(error: unknown): Record<string, string> {
    if (error === undefined) return { 'grpc-status': '0' };
    let code = Code.Internal;
    let message = 'internal error';
    if (error instanceof ConnectError) {
      code = error.code;
      message = error.rawMessage;
    } else {
      this.#options.onInternalError(error);
    }
    const status: Record<string, string> =
      message === ''
        ? { 'grpc-status': String(code) }
        : { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) };
    if (error instanceof ConnectError && error.details.length > 0) {
      status['grpc-status-details-bin'] = statusDetailsBin(error);
    }
    return status;
  }

  // PROTOCOL-HTTP2 "Compressed-Flag": a set flag means the message is compressed as
  // `grpc-encoding` says, which must then be present and other than identity (compression.md
  // test case 6: else Internal). compression.md: an encoding this side does not read is
  // Unimplemented, naming the ones it does. An unset flag is read as is whatever the header.
  #checkCompression(compressed: boolean): void {
    if (!compressed || this.#encoding === 'gzip') return;
    if (this.#encoding === undefined || this.#encoding === 'identity') {
      throw new ConnectError('compressed flag set with identity or empty encoding', Code.Internal);
    }
    throw new ConnectError(
      `unsupported grpc-encoding ${JSON.stringify(this.#encoding)} (supported: ${ACCEPTED_ENCODINGS.join(', ')})`,
      Code.Unimplemented,
    );
  }

  // PROTOCOL-HTTP2 "Timeout": the call is DeadlineExceeded once it passes.
  #startDeadline(header: string | string[] | undefined): void {
    if (header === undefined) return;
    const ms = typeof header === 'string' ? parseGrpcTimeout(header) : undefined;
    if (ms === undefined) {
      this.end(new ConnectError(`malformed grpc-timeout ${JSON.stringify(header)}`, Code.Internal));
      return;
    }
    if (ms > MAX_TIMER_MS) return;
    this.#timer = setTimeout(() => this.end(DEADLINE()), ms);
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function ignore(): void {}

/**
 * The `grpc-status-details-bin` trailer of an error with details: a `google.rpc.Status` with the
 * code, the message and each detail packed in an `Any` (grpc/grpc PROTOCOL-HTTP2 "Responses":
 * binary headers are base64, sent here unpadded as grpc-go and Connect send them).
 */
function statusDetailsBin(error: ConnectError): string {
  const status = create(StatusSchema, {
    code: error.code,
    message: error.rawMessage,
    details: error.details.map((detail) =>
      'desc' in detail
        ? anyPack(detail.desc, create(detail.desc, detail.value))
        : { typeUrl: `type.googleapis.com/${detail.type}`, value: detail.value },
    ),
  });
  return Buffer.from(toBinary(StatusSchema, status)).toString('base64').replace(/=+$/, '');
}

function extraMessage(): ConnectError {
  return new ConnectError(
    'received a second request message for a method that takes one',
    Code.Unimplemented,
  );
}

function missingMessage(): ConnectError {
  return new ConnectError('the request ended without a message', Code.Unimplemented);
}

function truncated(): ConnectError {
  return new ConnectError('the request ended inside a message', Code.Internal);
}

/**
 * Answers a request whose content-type is not gRPC's as grpc-go does: HTTP 415 with
 * `grpc-status` Internal naming the type received, and no body.
 */
export function refuseContentType(stream: ServerHttp2Stream, contentType: string | undefined) {
  stream.on('error', ignore);
  if (stream.destroyed || stream.closed) return;
  const message = `invalid gRPC request content-type ${JSON.stringify(contentType ?? '')}`;
  stream.respond(
    {
      ':status': 415,
      'content-type': 'application/grpc',
      'grpc-status': String(Code.Internal),
      'grpc-message': encodeGrpcMessage(message),
    },
    { endStream: true },
  );
  if (!stream.readableEnded) stream.close(http2.constants.NGHTTP2_NO_ERROR);
}
