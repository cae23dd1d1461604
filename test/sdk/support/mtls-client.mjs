// A second workload, run as another uid by test/sdk: gets its X509-SVID from the agent at
// argv[2] through the built @spire-ts/spiffe, picks the SVID of SPIFFE ID argv[3], dials the
// SPIFFE mTLS echo server on 127.0.0.1:argv[4] expecting server ID argv[5], sends one line and
// prints one JSON line: what it saw (its SVID, all SVIDs it was given, the server's ID, the
// reply), or the error code and message.
import tls from 'node:tls';
import { matchId, mtlsClientOptions, peerSpiffeId, SpiffeId, X509Source } from '@spire-ts/spiffe';

const [socketPath, wantId, port, serverId] = process.argv.slice(2);
const out = (o) => console.log(JSON.stringify({ uid: process.getuid(), ...o }));

let source;
try {
  source = await X509Source.create({
    address: `unix://${socketPath}`,
    picker: (svids) => svids.find((s) => s.id.toString() === wantId),
    timeoutMs: 15_000,
  });
  const options = mtlsClientOptions(source, matchId(SpiffeId.fromString(serverId)));
  const socket = tls.connect({ host: '127.0.0.1', port: Number(port), ...options });
  await new Promise((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const server = peerSpiffeId(socket).toString();
  const reply = await new Promise((resolve) => {
    socket.once('data', (d) => resolve(d.toString()));
    socket.once('close', () => resolve(null));
    socket.once('error', () => {});
    socket.write(`hello from ${source.getX509Svid().id}`);
  });
  socket.destroy();
  const ids = source
    .getX509Svids()
    .map((s) => s.id.toString())
    .sort();
  out({ id: source.getX509Svid().id.toString(), ids, server, reply });
} catch (err) {
  out({ code: err.code ?? null, message: err.message });
} finally {
  source?.close();
}
