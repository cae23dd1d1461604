import type { TestEntry } from './fake-server-api.js';

/**
 * A call to the server process (server-process.ts), sent over the fork IPC channel with
 * `serialization: 'advanced'` (bigints and byte arrays cross as they are). Replies carry the
 * protobuf wire bytes of the messages, which the agent side decodes as a gRPC client would.
 */
export type ServerProcessRequest = { readonly id: number } & (
  | { readonly op: 'put'; readonly entries: readonly TestEntry[] }
  | {
      readonly op: 'fetchEntries';
      /** `[id, revision_number, created_at]` of each entry the agent holds. */
      readonly known: readonly (readonly [string, bigint, bigint])[];
    }
  | { readonly op: 'fetchBundle' }
  | {
      readonly op: 'newX509Svids';
      readonly requests: readonly { readonly entryId: string; readonly csr: Uint8Array }[];
    }
);

/** The answer to the request of the same id (id 0: the process is ready). */
export type ServerProcessReply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string };
