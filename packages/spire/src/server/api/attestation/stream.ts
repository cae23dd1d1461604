/**
 * AttestAgent's bidirectional stream: the first request carries the params, then each challenge
 * the attestor sends is answered by one `challenge_response` request, and the stream ends with
 * the result (reference §3.3, `AttestAgentRequest` / `AttestAgentResponse`).
 */
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { SpireLogger } from '../../../common/log/index.js';
import {
  type AttestAgentRequest,
  type AttestAgentResponse,
  AttestAgentResponseSchema,
} from '../../../gen/spire/api/server/agent/v1/agent_pb.js';
import type { ServerContext } from '../context.js';
import { statusError } from '../status.js';
import { attestAgent } from './attest.js';

/** Serves one AttestAgent stream: yields challenges as the attestor asks, then the result. */
export async function* serveAttestAgent(
  ctx: ServerContext,
  log: SpireLogger,
  requests: AsyncIterable<AttestAgentRequest>,
): AsyncGenerator<AttestAgentResponse> {
  const inbox = requests[Symbol.asyncIterator]();
  const first = await inbox.next();
  if (first.done)
    throw statusError(log, Code.InvalidArgument, 'failed to receive request from stream');
  const params = first.value.step.case === 'params' ? first.value.step.value : undefined;

  const outbox = new Outbox<AttestAgentResponse>();
  const exchange = async (challenge: Uint8Array): Promise<Uint8Array> => {
    outbox.push(
      create(AttestAgentResponseSchema, { step: { case: 'challenge', value: challenge } }),
    );
    const next = await inbox.next();
    if (next.done) {
      throw new ConnectError('failed to receive challenge from agent', Code.Internal);
    }
    const step = next.value.step;
    return step.case === 'challengeResponse' ? step.value : new Uint8Array();
  };

  attestAgent(ctx, log, params, exchange).then(
    (result) => {
      outbox.push(create(AttestAgentResponseSchema, { step: { case: 'result', value: result } }));
      outbox.end();
    },
    (err: unknown) => outbox.fail(err),
  );
  yield* outbox;
}

/** A one-consumer queue of responses that can end with a value stream or an error. */
class Outbox<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #done = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#notify();
  }

  end(): void {
    this.#done = true;
    this.#notify();
  }

  fail(err: unknown): void {
    this.#error = err ?? new Error('attestation failed');
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
