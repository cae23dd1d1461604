import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  LogField,
  parseLogLevel,
  setTreeLevel,
  subsystemLogger,
} from '../../../src/common/log/index.js';
import { treeReferenceCount } from '../../../src/common/log/logger.js';

const AT = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
let savedTz: string | undefined;
beforeAll(() => {
  savedTz = process.env.TZ;
  process.env.TZ = 'UTC';
});
afterAll(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

function lines(format: 'text' | 'json', level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const out: string[] = [];
  const { logger } = createLogger({
    format,
    level,
    now: () => AT,
    stream: { write: (l: string) => out.push(l) },
  });
  return { logger, out };
}

describe('text format (logrus TextFormatter)', () => {
  it('writes time, level, msg, then sorted fields, quoting only where logrus does', () => {
    const { logger, out } = lines('text');
    subsystemLogger(logger, 'ca_manager').info(
      {
        [LogField.SpiffeId]: 'spiffe://example.org/x',
        [LogField.Count]: 3,
        [LogField.Error]: new Error('bad thing'),
      },
      'X509 CA prepared',
    );
    logger.warn(
      { [LogField.Selectors]: ['unix:uid:0', 'unix:gid:0'], [LogField.Path]: '' },
      'Ready',
    );
    expect(out).toEqual([
      'time="2024-01-02T03:04:05Z" level=info msg="X509 CA prepared" count=3 error="bad thing" spiffe_id="spiffe://example.org/x" subsystem_name=ca_manager\n',
      'time="2024-01-02T03:04:05Z" level=warning msg=Ready path="" selectors="[unix:uid:0 unix:gid:0]"\n',
    ]);
  });
});

describe('json format', () => {
  it('writes one object per line with sorted keys', () => {
    const { logger, out } = lines('json');
    logger
      .child({ [LogField.SubsystemName]: 'endpoints' })
      .error({ [LogField.CallerUid]: 1000 }, 'Denied');
    expect(out).toEqual([
      '{"caller_uid":1000,"level":"error","msg":"Denied","subsystem_name":"endpoints","time":"2024-01-02T03:04:05Z"}\n',
    ]);
  });
});

describe('log levels', () => {
  it('drops lines below the configured level', () => {
    const { logger, out } = lines('text', 'warn');
    logger.info('hidden');
    logger.debug('hidden');
    logger.error('shown');
    expect(out).toEqual(['time="2024-01-02T03:04:05Z" level=error msg=shown\n']);
  });

  it.each([
    ['DEBUG', 'debug'],
    ['Info', 'info'],
    ['WARN', 'warn'],
    ['warning', 'warn'],
    ['error', 'error'],
    ['loud', undefined],
  ])('parses log_level %j as %j', (text, level) => {
    expect(parseLogLevel(text)).toBe(level);
  });
});

describe('changing the level at run time (Logger API)', () => {
  it('reaches every child made before the change, at any depth, from any member of the tree', () => {
    const { logger, out } = lines('text', 'info');
    const sub = subsystemLogger(logger, 'ca');
    const perRequest = sub.child({ method: 'x' });
    perRequest.debug('before');
    setTreeLevel(perRequest, 'debug');
    sub.debug('sub');
    perRequest.debug('deep');
    logger.debug('root');
    const later = subsystemLogger(logger, 'late');
    later.debug('late');
    setTreeLevel(logger, 'warn');
    sub.info('dropped');
    expect(out).toEqual([
      'time="2024-01-02T03:04:05Z" level=debug msg=sub subsystem_name=ca\n',
      'time="2024-01-02T03:04:05Z" level=debug msg=deep method=x subsystem_name=ca\n',
      'time="2024-01-02T03:04:05Z" level=debug msg=root\n',
      'time="2024-01-02T03:04:05Z" level=debug msg=late subsystem_name=late\n',
    ]);
  });
});

describe('per-request children', () => {
  it('are not referenced forever: the tree holds about as many references as live children', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { logger } = lines('text', 'info');
    const nextJob = () => new Promise((resolve) => setImmediate(resolve));
    for (let batch = 0; batch < 40; batch++) {
      for (let i = 0; i < 1000; i++) logger.child({ method: 'NewJWTSVID', i }).info('served');
      await nextJob();
      gc();
    }
    const live = logger.child({ method: 'kept' });
    // 40,000 children were made; all but `live` are collectable. Without the sweep every one
    // of them stays referenced.
    expect(treeReferenceCount(logger)).toBeLessThan(4096);
    setTreeLevel(logger, 'debug');
    expect(live.level).toBe('debug');
  });
});

describe('log_file', () => {
  it('appends lines to the file, created 0640', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'spire-log-')), 'server.log');
    const h = createLogger({ file, now: () => AT });
    h.logger.info('one');
    h.logger.info('two');
    h.close();
    expect(readFileSync(file, 'utf8')).toBe(
      'time="2024-01-02T03:04:05Z" level=info msg=one\ntime="2024-01-02T03:04:05Z" level=info msg=two\n',
    );
    expect(statSync(file).mode & 0o777).toBe(0o640 & ~process.umask());
  });

  it('a line logged after close() goes to the stream, never to the closed (maybe reused) fd', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'spire-log-')), 'agent.log');
    const lines: string[] = [];
    const h = createLogger({
      file,
      now: () => AT,
      stream: { write: (l: string) => lines.push(l) },
    });
    h.logger.info('before');
    h.close();

    expect(() => h.logger.error('late')).not.toThrow();
    expect(readFileSync(file, 'utf8')).toBe('time="2024-01-02T03:04:05Z" level=info msg=before\n');
    expect(lines).toEqual(['time="2024-01-02T03:04:05Z" level=error msg=late\n']);
    expect(() => h.close()).not.toThrow();
  });
});
