// The hand-written BatchNewX509SVID result encoding must be byte for byte what the protobuf
// runtime writes for the same message (protobuf encoding: fields in number order, proto3
// defaults left out), and decode to exactly the values put in.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  BatchNewX509SVIDResponse_ResultSchema,
  BatchNewX509SVIDResponseSchema,
} from '../../../../src/gen/spire/api/server/svid/v1/svid_pb.js';
import {
  batchResponse,
  batchResponseBytes,
  encodeSpiffeIdMessage,
  failureResult,
  successResult,
} from '../../../../src/server/api/svid/batch-results.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('BatchNewX509SVID results encoded directly', () => {
  const leaf = bytes(544, 1);
  const intermediate = bytes(200_000, 2); // a three-byte length varint
  const cases = [
    {
      encoded: successResult(encodeSpiffeIdMessage('example.org', '/web'), [leaf], 1_900_000_000),
      message: {
        status: { code: 0, message: 'OK' },
        svid: {
          certChain: [leaf],
          id: { trustDomain: 'example.org', path: '/web' },
          expiresAt: 1_900_000_000n,
        },
      },
    },
    {
      encoded: successResult(
        encodeSpiffeIdMessage('example.org', '/ns/prod/sa/é'),
        [leaf, intermediate],
        2 ** 40,
      ),
      message: {
        status: { code: 0, message: 'OK' },
        svid: {
          certChain: [leaf, intermediate],
          id: { trustDomain: 'example.org', path: '/ns/prod/sa/é' },
          expiresAt: 2n ** 40n,
        },
      },
    },
    {
      encoded: successResult(encodeSpiffeIdMessage('example.org', ''), [], 0),
      message: {
        status: { code: 0, message: 'OK' },
        svid: { certChain: [], id: { trustDomain: 'example.org', path: '' }, expiresAt: 0n },
      },
    },
    {
      encoded: failureResult(5, 'entry not found or not authorized'),
      message: { status: { code: 5, message: 'entry not found or not authorized' } },
    },
    {
      encoded: failureResult(3, `malformed CSR: ${'ü'.repeat(100)}`),
      message: { status: { code: 3, message: `malformed CSR: ${'ü'.repeat(100)}` } },
    },
    { encoded: failureResult(13, ''), message: { status: { code: 13, message: '' } } },
  ];

  it('writes the bytes toBinary writes for the equivalent response', () => {
    const ours = toBinary(
      BatchNewX509SVIDResponseSchema,
      batchResponse(cases.map((c) => c.encoded)),
    );
    const reference = toBinary(
      BatchNewX509SVIDResponseSchema,
      create(BatchNewX509SVIDResponseSchema, {
        results: cases.map((c) => create(BatchNewX509SVIDResponse_ResultSchema, c.message)),
      }),
    );
    expect(Buffer.from(ours).equals(Buffer.from(reference))).toBe(true);
  });

  it('batchResponseBytes writes the same bytes as toBinary of batchResponse, in one buffer', () => {
    const results = cases.map((c) => c.encoded);
    const reference = toBinary(BatchNewX509SVIDResponseSchema, batchResponse(results));
    expect(batchResponseBytes(results).equals(Buffer.from(reference))).toBe(true);
    // An empty response is zero bytes, as toBinary writes it.
    expect(batchResponseBytes([]).length).toBe(0);
  });

  it('decodes to exactly the values put in', () => {
    const wire = toBinary(
      BatchNewX509SVIDResponseSchema,
      batchResponse(cases.map((c) => c.encoded)),
    );
    const { results } = fromBinary(BatchNewX509SVIDResponseSchema, wire);
    expect(results).toHaveLength(cases.length);
    expect(results[0]?.status).toMatchObject({ code: 0, message: 'OK' });
    expect(results[0]?.svid?.id).toMatchObject({ trustDomain: 'example.org', path: '/web' });
    expect(results[0]?.svid?.expiresAt).toBe(1_900_000_000n);
    expect(Buffer.from(results[0]?.svid?.certChain[0] ?? []).equals(leaf)).toBe(true);
    expect(results[1]?.svid?.certChain.map((c) => c.length)).toEqual([544, 200_000]);
    expect(results[1]?.svid?.id?.path).toBe('/ns/prod/sa/é');
    expect(results[1]?.svid?.expiresAt).toBe(2n ** 40n);
    expect(results[3]?.svid).toBeUndefined();
    expect(results[3]?.status).toMatchObject({
      code: 5,
      message: 'entry not found or not authorized',
    });
    expect(results[4]?.status?.message).toBe(`malformed CSR: ${'ü'.repeat(100)}`);
    expect(results[5]?.status).toMatchObject({ code: 13, message: '' });
  });

  it('refuses a status code that is not a non-negative int32', () => {
    expect(() => failureResult(-1, 'x')).toThrow(
      'status code must be a non-negative int32, got -1',
    );
    expect(() => failureResult(1.5, 'x')).toThrow('status code must be a non-negative int32');
  });
});
