import { resolve } from 'node:path';
import { type AgentExit, startAgent } from '../../agent/agent.js';
import { AGENT_RUN_FLAGS, type AgentConfig, loadAgentConfig } from '../../agent/config/index.js';
import { startWorkloadEndpoint } from '../../agent/endpoints/index.js';
import type { CliIo, Command } from '../../common/cli/command.js';
import { FlagSet } from '../../common/cli/flagset.js';
import { ConfigError } from '../../common/config/index.js';
import type { GrpcServer } from '../../common/grpc/index.js';
import { createLogger, LogField, type SpireLogger } from '../../common/log/index.js';
import { usage } from '../server/validate.js';

/**
 * `spire-agent run`: loads the configuration (`-config`, default `conf/agent/agent.conf`, with
 * the flag overrides), starts the agent (attestation, sync, rotation) and the Workload API on
 * `socket_path`, and runs until `stop` aborts (SIGINT/SIGTERM for the real command) or the agent
 * stops by itself. Exit 0 on a requested stop; 1 on a bad configuration, a failed start, a ban
 * (D12) or a failed re-attestation.
 */
export async function runAgent(
  args: readonly string[],
  io: CliIo,
  stop: AbortSignal,
): Promise<number> {
  const parsed = new FlagSet('run', AGENT_RUN_FLAGS).parse(args);
  if (!parsed.ok) return usage(parsed, io);
  let config: AgentConfig;
  try {
    config = loadAgentConfig(parsed.values, { cwd: io.cwd, env: io.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`failed to load configuration: ${err.message}\n`);
    return 1;
  }
  const handle = createLogger({
    level: config.log_level,
    format: config.log_format,
    ...(config.log_file && { file: resolve(io.cwd, config.log_file) }),
  });
  try {
    return await runWith(config, io, handle.logger, stop);
  } finally {
    handle.close();
  }
}

async function runWith(
  config: AgentConfig,
  io: CliIo,
  log: SpireLogger,
  stop: AbortSignal,
): Promise<number> {
  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = await startAgent(config, { log, cwd: io.cwd });
  } catch (err) {
    log.error({ [LogField.Error]: err }, 'Agent failed to start');
    return 1;
  }
  let endpoint: GrpcServer | undefined;
  try {
    if (!config.disable_workload_api) {
      endpoint = await startWorkloadEndpoint({
        socketPath: resolve(io.cwd, config.socket_path),
        view: agent.view,
        attestors: agent.workloadAttestors,
        log,
        allowUnauthenticatedVerifiers: config.allow_unauthenticated_verifiers,
        allowedForeignJwtClaims: config.allowed_foreign_jwt_claims,
      });
    }
    const exit = await untilStopped(agent.done, stop);
    return exit.reason === 'stopped' ? 0 : 1;
  } catch (err) {
    log.error({ [LogField.Error]: err }, 'Agent failed');
    return 1;
  } finally {
    await endpoint?.close();
    await agent.stop();
  }
}

/** The agent's own exit, or `stopped` when `stop` aborts first. */
function untilStopped(done: Promise<AgentExit>, stop: AbortSignal): Promise<AgentExit> {
  if (stop.aborted) return Promise.resolve({ reason: 'stopped' });
  return Promise.race([
    done,
    new Promise<AgentExit>((resolve) =>
      stop.addEventListener('abort', () => resolve({ reason: 'stopped' }), { once: true }),
    ),
  ]);
}

/** `spire-agent run`, stopped by SIGINT or SIGTERM. */
export const agentRunCommand: Command = {
  name: 'run',
  synopsis: 'Runs the agent',
  run: (args, io) => {
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return runAgent(args, io, controller.signal).finally(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
  },
};
