import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { listWithPsList, parseProcesses, processName, processSource } from '../../../../agent/inventory/sources/processes.js';

const live = { os: 'linux' as const, root: '/', live: true };

async function startAs(t: { after(fn: () => Promise<void>): void }, name: string, how: 'copy' | 'link') {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'appwacht-proc-'));
  const file = path.join(dir, name);
  if (how === 'copy') await copyFile('/bin/sleep', file);
  else await symlink('/bin/sleep', file);
  const child: ChildProcess = spawn(file, ['300'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  t.after(async () => {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  return { pid: child.pid!, file };
}

async function listed(pid: number) {
  const { processes, problems } = processSource.parse(await processSource.collect(live));
  assert.deepEqual(problems, []);
  return { processes, found: processes.find((p) => p.pid === pid) };
}

describe('process source on this machine', { skip: process.platform !== 'linux' && 'reads /proc: Linux only' }, () => {
  it('reports a running program named like a messenger, with name and path', async (t) => {
    const { pid, file } = await startAs(t, 'Telegram', 'copy');
    const { found } = await listed(pid);
    assert.deepEqual(found, { pid, name: 'Telegram', path: file, cmd: `${file} 300` });
  });

  it('names a program started through a link by the link, with the real file as path', async (t) => {
    const { pid, file } = await startAs(t, 'WhatsApp', 'link');
    const { found } = await listed(pid);
    assert.equal(found?.name, 'WhatsApp');
    assert.equal(found?.path, '/usr/bin/sleep');
    assert.equal(found?.cmd, `${file} 300`);
  });

  it("keeps names longer than the kernel's 15 characters whole", async (t) => {
    const { pid } = await startAs(t, 'signal-desktop-beta', 'copy');
    assert.equal((await listed(pid)).found?.name, 'signal-desktop-beta');
  });

  it('lists this test process and leaves out kernel threads', async () => {
    const { processes, found } = await listed(process.pid);
    assert.equal(found?.path, process.execPath);
    assert.ok(!processes.some((p) => p.pid === 2), 'kthreadd is a kernel thread');
  });

  it('gives the same shape through the ps-list fallback (used when /proc cannot be read)', async (t) => {
    const { pid, file } = await startAs(t, 'Signal', 'copy');
    const { processes, problems } = parseProcesses(await listWithPsList());
    assert.deepEqual(problems, []);
    assert.deepEqual(
      processes.find((p) => p.pid === pid),
      { pid, name: 'Signal', path: file, cmd: `${file} 300` },
    );
  });

  it('does not report a process after it ended', async (t) => {
    const { pid } = await startAs(t, 'Viber', 'copy');
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await listed(pid)).found, undefined);
  });
});

describe('processName()', () => {
  const table: [string, string | undefined, string | undefined, string][] = [
    ['Telegram', '/tmp/x/Telegram', '/tmp/x/Telegram', 'Telegram'],
    ['signal-desktop-', '/opt/Signal/signal-desktop-beta', undefined, 'signal-desktop-beta'],
    ['telegram-deskto', undefined, '/usr/bin/telegram-desktop', 'telegram-desktop'],
    ['telegram-deskto', 'unrelated-name', '/usr/bin/other', 'telegram-deskto'],
    ['bash', '/usr/bin/bash --login', '/usr/bin/bash', 'bash'],
  ];
  for (const [comm, argv0, exe, expected] of table) {
    it(`${comm} / ${argv0} / ${exe} → ${expected}`, () => assert.equal(processName(comm, argv0, exe), expected));
  }
});

describe('parseProcesses()', () => {
  it('validates a replayed capture: malformed entries are skipped and counted', async () => {
    const { processes, problems } = parseProcesses(
      await processSource.check([
        { pid: 1, name: 'init', cmd: '/sbin/init', path: '/usr/lib/systemd/systemd' },
        { pid: 'x', name: 'bad' },
        { pid: 2, name: '' },
        { pid: 3, name: 'WhatsApp.exe' },
        null,
      ]),
    );
    assert.deepEqual(processes, [
      { pid: 1, name: 'init', path: '/usr/lib/systemd/systemd', cmd: '/sbin/init' },
      { pid: 3, name: 'WhatsApp.exe' },
    ]);
    assert.deepEqual(problems, ['3 malformed process entries were skipped']);
  });

  it('fails the source when the capture is not a list', async () => {
    await assert.rejects(processSource.check({ pid: 1 }), { code: 'RAW_INVALID' });
  });
});
