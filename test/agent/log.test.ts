import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppwachtError } from '../../agent/errors.js';
import { createLogger, fileSink, memoryLogger } from '../../agent/log.js';

describe('createLogger()', () => {
  it('writes one JSON line per call with time, level, msg and fields', () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l), now: () => new Date('2025-01-02T03:04:05.000Z') });
    log.info('policy updated', { version: 3 });
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      [{ time: '2025-01-02T03:04:05.000Z', level: 'info', msg: 'policy updated', version: 3 }],
    );
  });

  it('drops lines below the level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', sink: (l) => lines.push(l) });
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l).msg),
      ['c', 'd'],
    );
  });

  it('reduces errors to code and first message line, and child loggers add their fields', () => {
    const log = memoryLogger();
    log.child({ component: 'policy' }).warn('rejected', { error: new AppwachtError('X_CODE', 'first line\nsecond') });
    assert.deepEqual(log.lines[0]?.error, { code: 'X_CODE', message: 'first line' });
    assert.equal(log.lines[0]?.component, 'policy');
  });

  it('survives fields that cannot be serialised', () => {
    const log = memoryLogger();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    log.info('odd', { loop });
    assert.equal(log.lines[0]?.note, 'fields not serialisable');
  });
});

describe('fileSink()', () => {
  it('appends lines to a file readable only by the owner', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'appwacht-log-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'agent.log');
    const log = createLogger({ sink: fileSink(path) });
    log.info('one');
    log.error('two');
    const text = await readFile(path, 'utf8');
    assert.deepEqual(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).msg),
      ['one', 'two'],
    );
    if (process.platform !== 'win32') assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('does not throw when the file cannot be written', () => {
    const log = createLogger({ sink: fileSink('/nonexistent-dir/appwacht/agent.log') });
    assert.doesNotThrow(() => log.error('lost'));
  });
});
