/**
 * Run as pid 1 of a pid namespace of its own (`unshare --pid --fork --mount-proc`, as root) by
 * pid-reuse.test.ts: a process connects to a Unix socket, hands the connection to a child and
 * exits; before the server reads the connection's credentials (an agent slow to accept), its pid
 * is given to another process (ns_last_pid). Prints, as JSON, what the server then sees: the
 * pids, the start time recorded at accept, whether the connecting process is held, and what the
 * caller attestor answers.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallerAttestor } from '../../../../src/agent/endpoints/index.js';
import {
  acceptedStartTime,
  peerCredentials,
  peerProcessHeld,
} from '../../../../src/common/peercred/index.js';
import { spawnHandingConnector } from './handing-connector.js';

const path = join(mkdtempSync(join(tmpdir(), 'accept-race-')), 's.sock');
const server = net.createServer();
const accepted = once(server, 'connection') as Promise<[net.Socket]>;
server.listen(path);
await once(server, 'listening');

// The connector hands its connection to a child that keeps it, and exits at once.
const connector = spawnHandingConnector(path, false);
const [socket] = await accepted;
await once(connector, 'exit'); // exited and reaped: its pid is free
const pid = connector.pid as number;

writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
const victim = spawn('sleep', ['30'], { stdio: 'ignore' });
await once(victim, 'spawn');

// Only now does the server read the connection's credentials.
const credentials = peerCredentials(socket);
const attestor = new CallerAttestor({
  attestors: [{ name: 'unix', attest: async () => ['uid:0'] }],
});
let attest: string;
try {
  await attestor.attest({ transport: 'unix', credentials });
  attest = 'attested';
} catch (err) {
  attest = (err as { code?: string }).code ?? String(err);
}
console.log(
  JSON.stringify({
    pid,
    victim: victim.pid,
    credentialsPid: credentials.pid,
    accepted: String(acceptedStartTime(credentials)),
    held: String(peerProcessHeld(credentials)),
    attest,
  }),
);
victim.kill('SIGKILL');
socket.destroy();
server.close();
process.exit(0);
