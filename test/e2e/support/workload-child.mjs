// Run as another uid by the end-to-end tests: asks the Workload API at argv[2] (grpc-js, our
// workload.proto) for the first FetchX509SVID message and prints the SPIFFE IDs, or the status.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const [socketPath, protoPath] = process.argv.slice(2);
const def = protoLoader.loadSync(protoPath, { keepCase: true, defaults: true });
const Service = grpc.loadPackageDefinition(def).SpiffeWorkloadAPI;
const client = new Service(`unix://${socketPath}`, grpc.credentials.createInsecure());
const md = new grpc.Metadata();
md.set('workload.spiffe.io', 'true');

const call = client.FetchX509SVID({}, md);
call.on('data', (resp) => {
  console.log(JSON.stringify({ uid: process.getuid(), ids: resp.svids.map((s) => s.spiffe_id) }));
  call.cancel();
  client.close();
});
call.on('error', (err) => {
  if (err.code === grpc.status.CANCELLED) return;
  console.log(JSON.stringify({ uid: process.getuid(), code: err.code, details: err.details }));
  client.close();
});
