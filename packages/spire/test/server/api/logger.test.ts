import { Code, ConnectError } from '@connectrpc/connect';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  loggerGetCommand,
  loggerResetCommand,
  loggerSetCommand,
} from '../../../src/cli/server/logger/verbs.js';
import { createLogger, type SpireLogger } from '../../../src/common/log/index.js';
import { Logger } from '../../../src/gen/spire/api/server/logger/v1/logger_pb.js';
import { LogLevel } from '../../../src/gen/spire/api/types/logger_pb.js';
import { createLoggerService, pinoLevelControl } from '../../../src/server/api/logger/index.js';
import { runVerb } from '../../cli/support/run-verb.js';
import { type ServerHarness, startServerHarness } from '../../support/server-harness.js';

let h: ServerHarness;
let root: SpireLogger;
let lines: string[];
beforeEach(async () => {
  lines = [];
  root = createLogger({
    level: 'info',
    format: 'json',
    stream: { write: (l) => lines.push(l) },
  }).logger;
  const control = pinoLevelControl([root], 'info');
  h = await startServerHarness({
    services: (ctx) => [[Logger, createLoggerService(ctx.log, control, 'info')]],
  });
});
afterEach(() => h.close());

const rpcCode = async (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: unknown) => (e instanceof ConnectError ? Code[e.code] : String(e)),
  );

describe('spire.api.server.logger.v1.Logger (reference §3.3)', () => {
  it('GetLogger reports the current and launch levels', async () => {
    const res = await h.local(Logger).getLogger({});
    expect([res.currentLevel, res.launchLevel]).toEqual([LogLevel.INFO, LogLevel.INFO]);
  });

  it('SetLogLevel changes what the logger emits; ResetLogLevel puts the launch level back', async () => {
    root.debug('before');
    const set = await h.local(Logger).setLogLevel({ newLevel: LogLevel.DEBUG });
    expect([set.currentLevel, set.launchLevel]).toEqual([LogLevel.DEBUG, LogLevel.INFO]);
    root.debug('during');
    const reset = await h.local(Logger).resetLogLevel({});
    expect(reset.currentLevel).toBe(LogLevel.INFO);
    root.debug('after');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['during']);
  });

  it.each([
    [LogLevel.UNSPECIFIED, 'newLevel value cannot be LogLevel_UNSPECIFIED'],
    [99 as LogLevel, 'unsupported log level'],
  ])('SetLogLevel %s is InvalidArgument', async (newLevel, message) => {
    const err = await h
      .local(Logger)
      .setLogLevel({ newLevel })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect([(err as ConnectError).code, (err as ConnectError).rawMessage]).toEqual([
      Code.InvalidArgument,
      message,
    ]);
  });

  it('is served to local callers only: a TLS caller is refused', async () => {
    expect(await rpcCode(h.anonymous(Logger).getLogger({}))).toBe('PermissionDenied');
    expect(await rpcCode(h.anonymous(Logger).setLogLevel({ newLevel: LogLevel.TRACE }))).toBe(
      'PermissionDenied',
    );
  });
});

describe('spire-server logger get / set / reset', () => {
  it('prints both levels by name, as SPIRE does', async () => {
    expect(await runVerb(h, loggerGetCommand, [])).toEqual({
      code: 0,
      stdout: 'Logger Level : info\nLaunch Level : info\n\n',
      stderr: '',
    });
    expect((await runVerb(h, loggerSetCommand, ['-level', 'WARNING'])).stdout).toBe(
      'Logger Level : warn\nLaunch Level : info\n\n',
    );
    expect((await runVerb(h, loggerSetCommand, ['-level', 'panic'])).stdout).toBe(
      'Logger Level : panic\nLaunch Level : info\n\n',
    );
    expect((await runVerb(h, loggerResetCommand, [])).stdout).toBe(
      'Logger Level : info\nLaunch Level : info\n\n',
    );
    const json = JSON.parse((await runVerb(h, loggerGetCommand, ['-output', 'json'])).stdout);
    expect(json).toEqual({ current_level: 'INFO', launch_level: 'INFO' });
  });

  it.each([
    [[], 'Error: a value (-level) must be set\n'],
    [['-level', 'loud'], 'Error: the value "loud" is not a valid setting\n'],
  ])('set %j is refused naming the flag', async (args, stderr) => {
    expect(await runVerb(h, loggerSetCommand, args)).toEqual({ code: 1, stdout: '', stderr });
  });
});
