// The server side of the agent's RPCs in a process of its own: a FakeServerApi (entries and a CA
// that signs the CSRs it is sent) answering over the IPC channel of `child_process.fork`, so
// that the agent-side process holds only what a real agent holds: the bytes it is sent (protobuf
// wire encoding, as gRPC delivers them) and the keys it generates. Started by
// {@link RemoteServerApi.start} (remote-server-api.ts); not meant to be run by hand.
import { toBinary } from '@bufbuild/protobuf';
import { FakeClock } from '../../../src/common/clock/index.js';
import { BundleSchema } from '../../../src/gen/spire/api/types/bundle_pb.js';
import { EntrySchema } from '../../../src/gen/spire/api/types/entry_pb.js';
import { X509SVIDSchema } from '../../../src/gen/spire/api/types/x509svid_pb.js';
import { makeFakeCa } from './fake-ca.js';
import { FakeServerApi, type TestEntry } from './fake-server-api.js';
import type { ServerProcessReply, ServerProcessRequest } from './server-process-protocol.js';

if (!process.send) throw new Error('server-process.ts runs as a forked child (RemoteServerApi)');

const startMs = process.env['FAKE_SERVER_START_MS'];
const ca = await makeFakeCa({ clock: new FakeClock(startMs ? Number(startMs) : undefined) });
const api = new FakeServerApi(ca);

async function answer(request: ServerProcessRequest): Promise<unknown> {
  switch (request.op) {
    case 'put':
      for (const e of request.entries as TestEntry[]) api.put(e);
      return api.entries.size;
    case 'fetchEntries': {
      const known = new Map(
        request.known.map(([id, revision, createdAt]) => [id, { revision, createdAt }]),
      );
      const { kept, fetched } = await api.fetchEntries(known);
      return { kept, fetched: fetched.map((e) => toBinary(EntrySchema, e)) };
    }
    case 'fetchBundle':
      return toBinary(BundleSchema, await api.fetchBundle());
    case 'newX509Svids': {
      const svids = await api.newX509Svids(request.requests);
      return svids.map((svid) => (svid ? toBinary(X509SVIDSchema, svid) : null));
    }
  }
}

process.on('message', (request: ServerProcessRequest) => {
  answer(request).then(
    (result) => process.send?.({ id: request.id, result } satisfies ServerProcessReply),
    (err: unknown) =>
      process.send?.({ id: request.id, error: String(err) } satisfies ServerProcessReply),
  );
});
process.on('disconnect', () => process.exit(0));
process.send({ id: 0, result: 'ready' } satisfies ServerProcessReply);
