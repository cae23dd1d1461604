// A one-method gRPC service with JSON messages, so the example needs no .proto file or codegen.
import * as grpc from '@grpc/grpc-js';

/** The request and reply of `Greeter/Hello`. */
export interface HelloRequest {
  name: string;
}

/** The reply of `Greeter/Hello`. */
export interface HelloReply {
  message: string;
}

const json = <T>() => ({
  serialize: (value: T) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()) as T,
});
const request = json<HelloRequest>();
const reply = json<HelloReply>();

/** `example.Greeter` with one unary method. */
export const greeterService = {
  hello: {
    path: '/example.Greeter/Hello',
    requestStream: false,
    responseStream: false,
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: reply.serialize,
    responseDeserialize: reply.deserialize,
  },
} satisfies grpc.ServiceDefinition;

/** A client of {@link greeterService}. */
export interface GreeterClient extends grpc.Client {
  hello(
    req: HelloRequest,
    callback: (err: grpc.ServiceError | null, res?: HelloReply) => void,
  ): grpc.ClientUnaryCall;
}

/** The client constructor of {@link greeterService}. */
export const GreeterClient = grpc.makeGenericClientConstructor(
  greeterService,
  'Greeter',
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => GreeterClient;
