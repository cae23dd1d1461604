/**
 * Run as pid 1 of a pid namespace of its own (`unshare --pid --fork --mount-proc`, as root) by
 * proc-file-reader.test.ts: keeps /proc/<pid>/stat and status of a process open in a
 * ProcFileReader, replaces that process by another given the same pid (ns_last_pid), and prints,
 * as JSON, what the kept reader and a fresh read by path say at each step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { ProcFileReader, readProcFileSync } from '../../../../src/common/peercred/index.js';

const reader = new ProcFileReader('/proc');

/** Name, Pid and Uid lines of status and the comm and start time of stat, kept and fresh. */
function look(pid: number): { kept: string[]; fresh: string[] } {
  const view = (read: (path: string) => string) => {
    const status = read(`/proc/${pid}/status`).split('\n');
    const stat = read(`/proc/${pid}/stat`).split(' ');
    const line = (key: string) => status.find((l) => l.startsWith(`${key}:`)) ?? '';
    return [line('Name'), line('Pid'), line('Uid'), `${stat[1]} ${stat[21]}`];
  };
  return { kept: view((p) => reader.read(p)), fresh: view(readProcFileSync) };
}

async function started(child: ChildProcess): Promise<number> {
  await once(child, 'spawn');
  return child.pid as number;
}

const first = spawn('sleep', ['60'], { stdio: 'ignore' });
const pid = await started(first);
const before = look(pid);
const kept = reader.openCount;
first.kill('SIGKILL');
await once(first, 'exit');

// The next process of this namespace gets the same pid.
writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
const second = spawn(
  'sh',
  ['-c', 'read line; exec setpriv --reuid=65534 --regid=65534 --clear-groups sleep 60'],
  {
    stdio: ['pipe', 'ignore', 'inherit'],
  },
);
const reused = await started(second);
const after = look(reused);

second.stdin?.write('go\n');
// Wait until the exec (a new comm) is visible by path.
for (let i = 0; i < 200 && !readProcFileSync(`/proc/${reused}/stat`).includes('(sleep)'); i++) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const execed = look(reused);
second.kill('SIGKILL');

console.log(JSON.stringify({ pid, reused, kept, before, after, execed }));
