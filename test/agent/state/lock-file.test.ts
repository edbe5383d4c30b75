/** acquireInstanceLock's `file` option (a second lock in the same folder: the agent's turn lock) and liveLockHolder(). */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InstanceLockError, acquireInstanceLock, liveLockHolder } from '../../../agent/state/lock.js';
import { STATE_FILES } from '../../../agent/state/names.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'appwacht-lockfile-'));
  dirs.push(d);
  return d;
}

describe('a second lock in the same folder', () => {
  it('is independent of the instance lock, refuses a second holder, and liveLockHolder() names the live one', async () => {
    const d = await stateDir();
    const instance = await acquireInstanceLock(d);
    const turn = await acquireInstanceLock(d, { file: 'turn.lock' });
    assert.ok(existsSync(join(d, STATE_FILES.instanceLock)) && existsSync(join(d, 'turn.lock')));
    await assert.rejects(
      acquireInstanceLock(d, { file: 'turn.lock' }),
      (e: unknown) => e instanceof InstanceLockError && e.code === 'ALREADY_RUNNING',
    );
    assert.equal((await liveLockHolder(d, 'turn.lock'))?.pid, process.pid);
    await turn.release();
    assert.equal(await liveLockHolder(d, 'turn.lock'), undefined, 'released: no holder');
    assert.equal((await liveLockHolder(d))?.pid, process.pid, 'the instance lock is still held');
    await instance.release();
  });

  it('liveLockHolder() ignores a stale or unreadable lock and a missing one', async () => {
    const d = await stateDir();
    assert.equal(await liveLockHolder(d, 'turn.lock'), undefined);
    await writeFile(join(d, 'turn.lock'), 'not json');
    assert.equal(await liveLockHolder(d, 'turn.lock'), undefined);
    await writeFile(
      join(d, 'turn.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, hostname: hostname(), startedAt: new Date().toISOString(), token: 'x' }),
    );
    assert.equal(await liveLockHolder(d, 'turn.lock'), undefined, 'a pid that does not run');
  });
});
