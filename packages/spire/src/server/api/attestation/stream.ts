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

/**
 * How long the server waits for the agent's first message and for each challenge response. An
 * unauthenticated caller must not hold an attestation (and a node attestor's state) open forever.
 */
export const ATTESTATION_STEP_TIMEOUT_MS = 30_000;

/** Serves one AttestAgent stream: yields challenges as the attestor asks, then the result. */
export async function* serveAttestAgent(
  ctx: ServerContext,
  log: SpireLogger,
  requests: AsyncIterable<AttestAgentRequest>,
): AsyncGenerator<AttestAgentResponse> {
  const iterator = requests[Symbol.asyncIterator]();
  const inbox = { next: () => withinStepTimeout(ctx, iterator.next()) };
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

/** `step`, or DeadlineExceeded once {@link ATTESTATION_STEP_TIMEOUT_MS} passes without it. */
function withinStepTimeout<T>(ctx: ServerContext, step: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = ctx.clock.setTimer(ATTESTATION_STEP_TIMEOUT_MS, () =>
      reject(
        new ConnectError(
          `no message from the agent within ${ATTESTATION_STEP_TIMEOUT_MS / 1000}s of attestation`,
          Code.DeadlineExceeded,
        ),
      ),
    );
    step.then(
      (value) => {
        timer.cancel();
        resolve(value);
      },
      (err: unknown) => {
        timer.cancel();
        reject(err);
      },
    );
  });
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
