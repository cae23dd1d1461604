// npm run quickstart [-- --once]
//
// SPIRE's quickstart (spiffe.io "Quickstart for Linux and MacOS X", steps 2-8) with our binaries:
// builds if needed, starts spire-server and spire-agent from a fresh .quickstart/ directory (the
// sample confs' relative paths resolve there), generates a join token, registers the current
// user's uid as spiffe://example.org/myservice, fetches an X.509-SVID and a JWT-SVID over the
// Workload API, prints what it got, and leaves both running until Ctrl-C. With --once it stops
// them and exits 0 once everything has worked.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = join(ROOT, '.quickstart');
const SERVER = join(ROOT, 'packages/spire/bin/spire-server.js');
const AGENT = join(ROOT, 'packages/spire/bin/spire-agent.js');
const SERVER_CONF = join(ROOT, 'conf/server/server.conf');
const AGENT_CONF = join(ROOT, 'conf/agent/agent.conf');
const ONCE = process.argv.includes('--once');
const UID = process.getuid?.() ?? 0;
const children = [];

main().catch(async (err) => {
  console.error(`\nquickstart failed: ${err.message}`);
  console.error(`logs: ${join(WORK, 'server.log')}, ${join(WORK, 'agent.log')}`);
  await stopAll();
  process.exit(1);
});

async function main() {
  step('build', 'npm run build');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');

  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });

  step(2, 'bin/spire-server run -config conf/server/server.conf &');
  start(SERVER, ['run', '-config', SERVER_CONF], 'server.log');
  step(3, 'bin/spire-server healthcheck');
  console.log((await until(() => cli(SERVER, ['healthcheck']), 'the server to be healthy')).trim());

  step(4, 'bin/spire-server token generate -spiffeID spiffe://example.org/myagent');
  const generated = await cli(SERVER, [
    'token',
    'generate',
    '-spiffeID',
    'spiffe://example.org/myagent',
  ]);
  const token = /^Token: (\S+)$/m.exec(generated)?.[1];
  if (!token) throw new Error(`no token in the output of token generate: ${generated}`);
  console.log(generated.trim());

  step(5, `bin/spire-agent run -config conf/agent/agent.conf -joinToken ${token} &`);
  start(AGENT, ['run', '-config', AGENT_CONF, '-joinToken', token], 'agent.log');
  step(6, 'bin/spire-agent healthcheck');
  console.log((await until(() => cli(AGENT, ['healthcheck']), 'the agent to be healthy')).trim());

  step(
    7,
    `bin/spire-server entry create -parentID spiffe://example.org/myagent -spiffeID spiffe://example.org/myservice -selector unix:uid:${UID}`,
  );
  console.log(
    (
      await cli(SERVER, [
        'entry',
        'create',
        '-parentID',
        'spiffe://example.org/myagent',
        '-spiffeID',
        'spiffe://example.org/myservice',
        '-selector',
        `unix:uid:${UID}`,
      ])
    ).trim(),
  );

  const out = join(WORK, 'svid');
  mkdirSync(out);
  step(8, `bin/spire-agent api fetch x509 -write ${out}/`);
  const fetched = await until(
    () => cli(AGENT, ['api', 'fetch', 'x509', '-write', `${out}/`]),
    'the SVID to reach the agent',
  );
  console.log(fetched.trim());

  step('8b', 'bin/spire-agent api fetch jwt -audience quickstart');
  const jwt = await cli(AGENT, ['api', 'fetch', 'jwt', '-audience', 'quickstart']);
  summary(out, jwt);

  if (ONCE) {
    await stopAll();
    console.log('\n--once: server and agent stopped.');
    return;
  }
  console.log(
    '\nThe server and the agent keep running; try the commands above. Ctrl-C stops them.',
  );
  process.once('SIGINT', async () => {
    await stopAll();
    process.exit(0);
  });
}

function summary(out, jwtOutput) {
  const pem = readFileSync(join(out, 'svid.0.pem'), 'utf8');
  const cert = new X509Certificate(pem);
  const token = /^\t(\S+)$/m.exec(jwtOutput)?.[1] ?? '';
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}');
  console.log('\n== Quickstart done ==');
  console.log(`SPIFFE ID:       ${cert.subjectAltName?.replace(/^URI:/, '')}`);
  console.log(`X.509-SVID until ${new Date(cert.validTo).toISOString()}`);
  console.log(
    `files:           ${['svid.0.pem', 'svid.0.key', 'bundle.0.pem'].map((f) => join(out, f)).join(', ')}`,
  );
  console.log(
    `JWT-SVID:        sub ${claims.sub}, aud ${JSON.stringify(claims.aud)}, until ${new Date((claims.exp ?? 0) * 1000).toISOString()}`,
  );
}

function step(n, command) {
  console.log(`\n[${n}] ${command}`);
}

function start(bin, args, logName) {
  const log = openSync(join(WORK, logName), 'a');
  const child = spawn(process.execPath, [bin, ...args], { cwd: WORK, stdio: ['ignore', log, log] });
  child.once('exit', (code, signal) => {
    if (!child.stopping)
      console.error(
        `${logName.replace('.log', '')} exited (${code ?? signal}); see ${join(WORK, logName)}`,
      );
  });
  children.push(child);
}

function cli(bin, args) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: WORK, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(`${args.slice(0, 3).join(' ')}: ${(stderr || stdout || err.message).trim()}`),
          );
        else resolve(stdout);
      },
    );
  });
}

async function until(attempt, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${err.message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function stopAll() {
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.stopping = true;
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
        }),
    ),
  );
}
