import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../src/common/clock/index.js';
import { createLogger } from '../../../../src/common/log/index.js';
import {
  type AttestAgentRequest,
  AttestAgentRequestSchema,
} from '../../../../src/gen/spire/api/server/agent/v1/agent_pb.js';
import {
  ATTESTATION_STEP_TIMEOUT_MS,
  serveAttestAgent,
} from '../../../../src/server/api/attestation/stream.js';
import type { ServerContext } from '../../../../src/server/api/context.js';
import type { ServerNodeAttestor } from '../../../../src/server/plugin/nodeattestor/node-attestor.js';
import { makeCsr } from './support.js';

const log = createLogger({ stream: { write: () => undefined } }).logger;

/** Requests that yield `first` (if any) and then never anything again. */
function silentAfter(first?: AttestAgentRequest): AsyncIterable<AttestAgentRequest> {
  return {
    async *[Symbol.asyncIterator]() {
      if (first) yield first;
      await new Promise(() => undefined);
    },
  };
}

/** A node attestor that always sends one challenge and accepts any answer. */
const challenger: ServerNodeAttestor = {
  name: 'challenger',
  async attest(_payload, exchange) {
    await exchange(new Uint8Array([1]));
    return {
      agentId: 'spiffe://example.org/spire/agent/challenger/x',
      selectors: [],
      canReattest: false,
    };
  },
};

function context(clock: FakeClock): ServerContext {
  return {
    clock,
    nodeAttestors: new Map([['challenger', challenger]]),
  } as unknown as ServerContext;
}

async function rejection(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected a rejection');
}

describe('AttestAgent gives up on a silent agent (no unbounded unauthenticated streams)', () => {
  it('ends the stream DeadlineExceeded when no first message arrives in time', async () => {
    const clock = new FakeClock();
    const stream = serveAttestAgent(context(clock), log, silentAfter());
    const next = rejection(stream.next());
    clock.advance(ATTESTATION_STEP_TIMEOUT_MS);
    const err = await next;
    expect({ code: err.code, message: err.rawMessage }).toEqual({
      code: Code.DeadlineExceeded,
      message: 'no message from the agent within 30s of attestation',
    });
  });

  it('ends the stream DeadlineExceeded when a challenge goes unanswered', async () => {
    const clock = new FakeClock();
    const { der } = await makeCsr();
    const first = create(AttestAgentRequestSchema, {
      step: {
        case: 'params',
        value: { data: { type: 'challenger', payload: new Uint8Array([0]) }, params: { csr: der } },
      },
    });
    const stream = serveAttestAgent(context(clock), log, silentAfter(first));
    const challenge = await stream.next();
    expect(challenge.value?.step.case).toBe('challenge');

    let settled = false;
    const next = rejection(stream.next()).finally(() => {
      settled = true;
    });
    clock.advance(ATTESTATION_STEP_TIMEOUT_MS - 1);
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    clock.advance(1);
    const err = await next;
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.rawMessage).toContain('no message from the agent within 30s of attestation');
  });
});
