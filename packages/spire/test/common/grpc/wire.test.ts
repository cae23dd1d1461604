import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import {
  encodeGrpcMessage,
  frameMessage,
  isGrpcProtoContentType,
  MessageReader,
  parseGrpcTimeout,
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
