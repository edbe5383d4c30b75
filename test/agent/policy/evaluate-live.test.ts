/**
 * Real parts on this (Linux) machine: a real process with a banned app's executable name, seen through ps-list and
 * /proc, and the real Debian package telegram-desktop when it is installed (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import psList from 'ps-list';
import type { Policy } from '../../../protocol/index.js';
import type { InstalledApp, RunningProcess } from '../../../agent/inventory/types.js';
import { evaluate } from '../../../agent/policy/evaluate.js';

const policy: Policy = {
  schema: 1,
  version: 1,
  issuedAt: '2026-06-01T00:00:00+02:00',
  organization: { name: 'Test', support: { email: 'it@example.org' } },
  message: { de: 'x', en: 'x' },
  rules: [{ id: 'telegram', app: 'telegram', action: 'ban', deadline: '2026-09-15T00:00:00+02:00' }],
  intervals: { scanMinutes: 15, heartbeatMinutes: 60, policyRefreshMinutes: 60 },
  escalation: { reportOnly: false, mailWarningAfterDays: 0, blockAfterDays: 14, staleAfterHours: 72 },
};
const now = new Date('2026-09-20T00:00:00Z');

it(
  'flags a running process of a banned app, by full name and by the kernel-truncated name',
  { skip: process.platform !== 'linux' && 'needs Linux /proc' },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'appwacht-live-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const exe = join(dir, 'telegram-desktop');
    await copyFile('/bin/sleep', exe);
    execFileSync('chmod', ['755', exe]);
    const child = spawn(exe, ['30'], { stdio: 'ignore' });
    t.after(() => child.kill());
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid!;

    const listed = (await psList()).find((p) => p.pid === pid);
    assert.ok(listed, 'ps-list sees the process');
    const proc: RunningProcess = { pid, name: listed.name, ...(listed.path ? { path: listed.path } : {}) };
    const seen = evaluate({ os: 'linux', apps: [], processes: [proc], sources: [] }, policy, now);
    assert.equal(seen.state.status, 'violation');
    assert.deepEqual(seen.findings[0]!.evidence, ['running']);
    assert.equal(seen.findings[0]!.processes[0]!.pid, pid);

    // What ps shows for another user's process (no readable /proc/<pid>/exe): the 15-character comm.
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
    assert.equal(comm, 'telegram-deskto');
    const cut = evaluate({ os: 'linux', apps: [], processes: [{ pid, name: comm }], sources: [] }, policy, now);
    assert.equal(cut.findings[0]?.processes[0]?.name, 'telegram-deskto');
  },
);

it('flags the real Debian package telegram-desktop', (t) => {
  let line: string;
  try {
    line = execFileSync('dpkg-query', ['-W', '-f', '${Package}\t${Version}\t${Status}', 'telegram-desktop'], {
      encoding: 'utf8',
    });
  } catch {
    t.skip('telegram-desktop is not installed here (.ci/run installs it)');
    return;
  }
  const [name, version, status] = line.split('\t');
  if (!status?.includes('installed') || status.includes('not-installed')) return t.skip(`telegram-desktop status: ${status}`);
  const app: InstalledApp = { name: name!, version: version!, source: 'dpkg', scope: 'machine', ids: { packageName: name! } };
  const result = evaluate({ os: 'linux', apps: [app], processes: [], sources: [] }, policy, now);
  assert.equal(result.state.status, 'violation');
  assert.deepEqual(result.findings[0]!.installs[0], {
    source: 'dpkg',
    scope: 'machine',
    name: 'telegram-desktop',
    version,
    matchedBy: 'package',
  });
});
