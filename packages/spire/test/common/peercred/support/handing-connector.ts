import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A process that connects to the Unix socket at `path`, forks a child that keeps the connection
 * open for 30 s, and exits: the way a caller hands its Workload API connection to another
 * process. With `waitForByte`, it first waits for one byte from the server (so that the server
 * can look at it while it still lives). Python, so that the connection is not Node's.
 */
export function spawnHandingConnector(path: string, waitForByte: boolean): ChildProcess {
  const script = [
    'import os, socket, sys, time',
    's = socket.socket(socket.AF_UNIX)',
    's.connect(sys.argv[1])',
    ...(waitForByte ? ['s.recv(1)'] : []),
    'if os.fork() == 0:',
    '    time.sleep(30)',
    'os._exit(0)',
  ].join('\n');
  return spawn('python3', ['-c', script, path], { stdio: 'ignore' });
}
