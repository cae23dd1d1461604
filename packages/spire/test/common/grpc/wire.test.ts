import { Code, ConnectError } from '@connectrpc/connect';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeGrpcMessage,
  frameMessage,
  isGrpcProtoContentType,
  MessageReader,
  parseGrpcTimeout,
  type ReceivedMessage,
} from '../../../src/common/grpc/index.js';

function prefix(length: number, flag = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(length, 1);
  return head;
}

describe('PROTOCOL-HTTP2 Length-Prefixed-Message', () => {
  it('frameMessage writes flag 0, the big-endian length, then the bytes', () => {
    expect([...frameMessage(Uint8Array.of(7, 8, 9))]).toEqual([0, 0, 0, 0, 3, 7, 8, 9]);
    expect([...frameMessage(new Uint8Array(0))]).toEqual([0, 0, 0, 0, 0]);
  });

  it('MessageReader reassembles messages split at any byte, prefix included', () => {
    const wire = Buffer.concat([
      frameMessage(Uint8Array.of(1, 2, 3)),
      prefix(2, 1),
      Buffer.of(4, 5),
    ]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const reader = new MessageReader(10);
      const got = [...reader.push(wire.subarray(0, cut)), ...reader.push(wire.subarray(cut))];

      expect(got.map((m) => [m.compressed, [...m.data]])).toEqual([
        [false, [1, 2, 3]],
        [true, [4, 5]],
      ]);
      expect(reader.partial).toBe(false);
    }
  });

  it('MessageReader reports a partial message, and an empty message is a message', () => {
    const reader = new MessageReader(10);

    expect(reader.push(prefix(0))).toHaveLength(1);
    expect(reader.push(prefix(3).subarray(0, 4))).toEqual([]);
    expect(reader.partial).toBe(true);
  });

  it('MessageReader refuses a prefix over the limit before its body arrives', () => {
    // Exactly the limit is fine (waiting for its body); one byte more is not.
    expect(new MessageReader(4).push(prefix(4))).toEqual([]);

    let error: unknown;
    try {
      new MessageReader(4).push(prefix(5));
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(ConnectError);
    expect([(error as ConnectError).code, (error as ConnectError).rawMessage]).toEqual([
      Code.ResourceExhausted,
      'received message larger than max (5 vs. 4)',
    ]);
  });
});

describe('MessageReader under a trickled body', () => {
  // A sender may split a message into DATA frames of one byte each (RFC 9113 §6.1 allows any
  // size); each arrives as its own chunk. Holding every chunk object made 1 MB sent cost the
  // agent ~160 MB, so a 4 MiB message trickled on 100 streams could exhaust its memory.
  it('1,000,000 one-byte chunks of one message cost about their bytes, not one object each', () => {
    const count = 1_000_000;
    const reader = new MessageReader(4 * 1024 * 1024);
    reader.push(prefix(count + 1));
    const before = process.memoryUsage();
    for (let i = 0; i < count; i++) reader.push(Buffer.of(i & 0xff));
    const after = process.memoryUsage();
    const grown = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);

    // Bytes held are ~1 MB (at most 2 MB while doubling); one object per chunk is > 100 MB.
    expect(grown).toBeLessThan(32 * 1024 * 1024);
    const [message] = reader.push(Buffer.of(0xaa));
    expect(message?.data.length).toBe(count + 1);
    expect([
      message?.data[0],
      message?.data[255],
      message?.data[256],
      message?.data[count],
    ]).toEqual([0, 255, 0, 0xaa]);
    expect(reader.partial).toBe(false);
  });

  it('any messages cut into any chunks come out whole, in order, and unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 40 }),
        (messages, cuts) => {
          const wire = Buffer.concat(messages.map((m) => frameMessage(m)));
          const reader = new MessageReader(1000);
          const got: ReceivedMessage[] = [];
          for (let at = 0, i = 0; at < wire.length; i++) {
            const size = cuts[i % cuts.length] as number;
            got.push(...reader.push(Buffer.from(wire.subarray(at, at + size))));
            at += size;
          }

          expect(got.map((m) => [...m.data])).toEqual(messages.map((m) => [...m]));
          expect(reader.partial).toBe(false);
        },
      ),
    );
  });

  it('a message handed out is not changed by chunks pushed after it', () => {
    const reader = new MessageReader(16);
    const [first] = reader.push(
      Buffer.concat([prefix(3), Buffer.of(1), Buffer.of(2)]).subarray(0, 6),
    );
    expect(first).toBeUndefined();
    const got = reader.push(Buffer.concat([Buffer.of(2, 3), prefix(2), Buffer.of(9)]));
    const later = reader.push(Buffer.of(8, ...prefix(1), 7));

    expect(got.map((m) => [...m.data])).toEqual([[1, 2, 3]]);
    expect(later.map((m) => [...m.data])).toEqual([[9, 8], [7]]);
    expect(reader.partial).toBe(false);
  });
});

describe('PROTOCOL-HTTP2 Timeout', () => {
  it.each([
    ['1H', 3_600_000],
    ['2M', 120_000],
    ['3S', 3_000],
    ['250m', 250],
    ['1500u', 1.5],
    ['2000000n', 2],
    ['99999999S', 99_999_999_000],
    ['0m', 0],
  ])('%s is %d ms', (value, ms) => {
    expect(parseGrpcTimeout(value)).toBe(ms);
  });

  it.each([[''], ['S'], ['1'], ['1s'], ['123456789S'], ['-1S'], ['1.5S'], [' 1S']])(
    '%j is malformed',
    (value) => {
      expect(parseGrpcTimeout(value)).toBeUndefined();
    },
  );
});

describe('PROTOCOL-HTTP2 Status-Message percent-encoding', () => {
  it.each([
    ['plain ASCII as is', 'no identity issued', 'no identity issued'],
    ['% itself', '100% sure', '100%25 sure'],
    ['UTF-8 bytes', 'café', 'caf%C3%A9'],
    ['control characters', 'a\nb\tc', 'a%0Ab%09c'],
    ['DEL', 'x\x7f', 'x%7F'],
  ])('%s', (_name, message, encoded) => {
    expect(encodeGrpcMessage(message)).toBe(encoded);
    expect(decodeURIComponent(encoded)).toBe(message);
  });
});

describe('PROTOCOL-HTTP2 Content-Type', () => {
  it.each([
    ['application/grpc', true],
    ['application/grpc+proto', true],
    ['Application/GRPC; charset=utf-8', true],
    ['application/grpc+json', false],
    ['application/grpc-web', false],
    ['application/json', false],
    [undefined, false],
  ])('%s: %s', (value, ok) => {
    expect(isGrpcProtoContentType(value)).toBe(ok);
  });
});
