import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InstanceLockError, acquireInstanceLock, type LockHolder } from '../../../agent/state/lock.js';
import { spawnTs } from '../../helpers/child.js';
import { STATE_FILES } from '../../../agent/state/names.js';

const CHILD = 'test/agent/state/children/lock-holder.ts';
const dirs: string[] = [];
async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'appwacht-lock-'));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const isAlreadyRunning = (e: unknown) => e instanceof InstanceLockError && e.code === 'ALREADY_RUNNING';

/** A pid that is certainly not running: a process that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function linuxOnly(t: { skip: (m: string) => void }): boolean {
  if (process.platform === 'linux') return true;
  t.skip('uses /proc (Linux) to build the lock of a live process');
  return false;
}

async function writeLock(dir: string, holder: Partial<LockHolder>): Promise<void> {
  await writeFile(
    join(dir, STATE_FILES.instanceLock),
    JSON.stringify({ hostname: hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'feedfacefeedface', ...holder }),
  );
}

describe('acquireInstanceLock() in one process', () => {
  it('takes the lock, refuses a second one, releases, and can be taken again', async () => {
    const dir = await stateDir();
    const lock = await acquireInstanceLock(dir);
    const content = JSON.parse(await readFile(join(dir, STATE_FILES.instanceLock), 'utf8'));
    assert.equal(content.pid, process.pid);
    await assert.rejects(acquireInstanceLock(dir), (e: unknown) => {
      assert.ok(isAlreadyRunning(e));
      assert.match((e as Error).message, new RegExp(`already running for this user \\(process ${process.pid},`));
      assert.equal((e as InstanceLockError).holder?.pid, process.pid);
      return true;
    });
    await lock.release();
    assert.equal(existsSync(join(dir, STATE_FILES.instanceLock)), false);
    const again = await acquireInstanceLock(dir);
    await again.release();
    assert.deepEqual(await readdir(dir), [], 'no temp or breaker files left behind');
  });

  it('says it in German too', async () => {
    const dir = await stateDir();
    const lock = await acquireInstanceLock(dir);
    await assert.rejects(acquireInstanceLock(dir, { lang: 'de' }), /Appwacht läuft für diesen Benutzer bereits \(Prozess \d+/);
    lock.releaseSync();
    assert.equal(existsSync(join(dir, STATE_FILES.instanceLock)), false);
  });

  it('release() leaves a lock alone that is no longer ours', async () => {
    const dir = await stateDir();
    const lock = await acquireInstanceLock(dir);
    await writeLock(dir, { pid: process.pid, token: 'someone-else' });
    await lock.release();
    lock.releaseSync();
    assert.equal(JSON.parse(readFileSync(join(dir, STATE_FILES.instanceLock), 'utf8')).token, 'someone-else');
  });

  it('creates the state folder when it does not exist yet', async () => {
    const dir = join(await stateDir(), 'deeper', 'appwacht');
    const lock = await acquireInstanceLock(dir);
    assert.ok(existsSync(join(dir, STATE_FILES.instanceLock)));
    await lock.release();
  });
});

describe('stale locks', () => {
  const stale: { name: string; holder: () => Partial<LockHolder> | string; linux?: boolean }[] = [
    { name: 'a dead pid', holder: () => ({ pid: deadPid() }) },
    { name: 'unreadable content (not JSON)', holder: () => '{"pid": 12' },
    { name: 'an empty file', holder: () => '' },
    { name: 'another machine (a copied profile)', holder: () => ({ pid: process.pid, hostname: 'some-other-laptop' }) },
    {
      name: 'a live pid that is another process (pid reused after a crash: start time differs)',
      holder: () => ({
        pid: process.ppid,
        bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
        procStart: '1',
      }),
      linux: true,
    },
    {
      name: 'a live pid, but the lock is from before a reboot (boot id differs)',
      holder: () => ({ pid: process.pid, bootId: '00000000-0000-0000-0000-000000000000', procStart: '1' }),
      linux: true,
    },
  ];
  for (const c of stale) {
    it(`takes over a lock held by ${c.name}`, async (t) => {
      if (c.linux && !linuxOnly(t)) return;
      const dir = await stateDir();
      const h = c.holder();
      if (typeof h === 'string') await writeFile(join(dir, STATE_FILES.instanceLock), h);
      else await writeLock(dir, h);
      const seen: unknown[] = [];
      const lock = await acquireInstanceLock(dir, { onStale: (holder) => seen.push(holder) });
      assert.equal(JSON.parse(await readFile(join(dir, STATE_FILES.instanceLock), 'utf8')).pid, process.pid);
      assert.equal(seen.length, 1);
      await lock.release();
    });
  }

  it('does not take over a lock whose holder is alive (same boot, same start time)', async (t) => {
    if (!linuxOnly(t)) return;
    const dir = await stateDir();
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    const procStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    await writeLock(dir, {
      pid: process.ppid,
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      procStart,
    });
    await assert.rejects(acquireInstanceLock(dir), isAlreadyRunning);
  });
});

describe('one instance per user, across processes', () => {
  it('a second instance says clearly that one is running and exits 2; after SIGKILL of the first a new one starts', async () => {
    const dir = await stateDir();
    const first = spawnTs(CHILD, ['hold', dir]);
    try {
      await first.waitFor(/^locked$/);
      const second = spawnTs(CHILD, ['hold', dir]);
      const { code } = await second.exited;
      assert.equal(code, 2);
      assert.match(
        second.stderr(),
        new RegExp(
          `^appwacht: Appwacht is already running for this user \\(process ${first.child.pid}, started .+\\)\\. .+ \\[ALREADY_RUNNING\\]\\n$`,
        ),
      );
      const german = spawnTs(CHILD, ['hold', dir], { APPWACHT_TEST_LANG: 'de' });
      assert.equal((await german.exited).code, 2);
      assert.match(german.stderr(), /Appwacht läuft für diesen Benutzer bereits/);

      // Crash: the lock file stays behind, but its holder is gone.
      await first.kill();
      assert.ok(existsSync(join(dir, STATE_FILES.instanceLock)), 'SIGKILL leaves the lock file');
      const third = spawnTs(CHILD, ['hold', dir]);
      await third.waitFor(/^locked$/);
      assert.equal(JSON.parse(await readFile(join(dir, STATE_FILES.instanceLock), 'utf8')).pid, third.child.pid);
      await third.kill();
    } finally {
      await first.kill();
    }
  });

  it('of 8 instances started at once against a stale lock, exactly one wins', async () => {
    const dir = await stateDir();
    await writeLock(dir, { pid: deadPid() });
    // All children load first (tsx start-up takes a while), then all are told to go at once.
    const racers = Array.from({ length: 8 }, () => spawnTs(CHILD, ['race', dir]));
    try {
      await Promise.all(racers.map((r) => r.waitFor(/^loaded$/)));
      for (const r of racers) r.child.kill('SIGUSR2');
      // The winner holds the lock until killed, so a late starter cannot win after it.
      const losers = await Promise.all(racers.map((r) => Promise.race([r.exited, r.waitFor(/^won$/).then(() => 'won')])));
      const winners = racers.filter((r) => r.lines.includes('won'));
      assert.equal(winners.length, 1, `winners: ${winners.length}; stderr: ${racers.map((r) => r.stderr()).join('')}`);
      assert.equal(losers.filter((r) => typeof r === 'object' && r.code === 2).length, 7);
      assert.ok(racers.filter((r) => !r.lines.includes('won')).every((r) => /\[ALREADY_RUNNING\]/.test(r.stderr())));
      assert.equal(JSON.parse(await readFile(join(dir, STATE_FILES.instanceLock), 'utf8')).pid, winners[0]!.child.pid);
      assert.deepEqual(await readdir(dir), [STATE_FILES.instanceLock], 'no breaker or temp files left');
    } finally {
      for (const r of racers) await r.kill();
    }
  });
});
