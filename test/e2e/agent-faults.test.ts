import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, open, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  AdminApi,
  BIN,
  LAPTOP_FIXTURE,
  LINE_DESKTOP_FILE,
  agentEnv,
  agentStatus,
  assertBuilt,
  copyLaptop,
  freePort,
  policyBanning,
  serverReports,
  spawnAgent,
  startServer,
  tempDir,
  waitFor,
} from './helpers.js';

const FAST = ['--scan-interval', '0.3', '--refresh-interval', '1', '--heartbeat-interval', '60'];

async function setLine(tree: string, present: boolean): Promise<void> {
  const file = join(tree, LINE_DESKTOP_FILE);
  if (present) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, await readFile(join(LAPTOP_FIXTURE, LINE_DESKTOP_FILE)));
  } else await rm(file, { force: true });
}

/** Can this test make a private mount namespace with a small tmpfs (root, util-linux unshare)? */
function tmpfsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux mount namespaces';
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs in a private mount namespace';
  const r = spawnSync('unshare', [
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount -t tmpfs -o size=64k tmpfs /mnt && echo ok',
  ]);
  return r.stdout?.toString().includes('ok') ? undefined : `cannot mount a tmpfs here: ${r.stderr?.toString().trim()}`;
}

describe('faults the agent survives (real server, real agent process)', () => {
  it('a full disk: keeps running, says so, keeps the report and delivers it once there is room again', async (t) => {
    const why = tmpfsUnavailable();
    if (why) return t.skip(why);
    assertBuilt();
    const tmp = await tempDir();
    const server = await startServer(join(tmp.dir, 'server'));
    let agent: ReturnType<typeof spawnAgent> | undefined;
    try {
      const admin = await AdminApi.login(server.info.url);
      await admin.createPolicy(policyBanning(['line']));
      const tree = await copyLaptop(join(tmp.dir, 'tree'));
      const stateDir = join(tmp.dir, 'state');
      await mkdir(stateDir);
      const env = agentEnv({ server: server.info, stateDir, home: join(tmp.dir, 'home') });
      // The state folder is a 1 MiB tmpfs, private to the agent's mount namespace (gone when it exits).
      const script = `mount -t tmpfs -o size=1m,mode=0700 tmpfs "$0" && exec "$@"`;
      agent = spawnAgent([], env, {
        file: 'unshare',
        args: [
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          script,
          stateDir,
          process.execPath,
          BIN,
          'run',
          '--root',
          tree,
          '--os',
          'linux',
          '--no-notifications',
          ...FAST,
          '--retry-max',
          '0.5',
        ],
      });
      await agent.waitForLog('first state', (l) => l.msg === 'state changed');
      await waitFor('violation on the server', async () =>
        (await admin.devices())[0]?.status === 'violation' ? true : undefined,
      );

      // Fill the agent's disk (seen through its own mount namespace).
      const filler = `/proc/${agent.child.pid}/root${stateDir}/filler`;
      const handle = await open(filler, 'w');
      const block = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) await handle.write(block);
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        await handle.close();
      }

      await setLine(tree, false);
      const changed = await agent.waitForLog('the change seen', (l) => l.msg === 'state changed' && l.status === 'compliant');
      const diskFull = await agent.waitForLog(
        'disk full said',
        (l) => (l.error as { code?: string } | undefined)?.code === 'DISK_FULL',
      );
      assert.equal(diskFull.level, 'error');
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(agent.child.exitCode, null, 'still running');
      const notWritten = agent.log.filter((l) => l.msg === 'agent state file not written; the agent keeps running and retries');
      assert.equal(notWritten.length, 1, 'said once, not on every turn');
      const notQueued = agent.log.filter((l) => l.msg === 'report could not be queued; it is kept and retried on the next turn');
      assert.ok(notQueued.length <= 1, `said at most once (${notQueued.length})`);
      assert.ok(!serverReports(server.dataDir).some((r) => r.id === changed.reportId), 'not delivered yet: it was never queued');

      await unlink(filler);
      await waitFor(
        'the kept report delivered',
        () => serverReports(server.dataDir).some((r) => r.id === changed.reportId),
        15_000,
      );
      assert.equal((await admin.devices())[0]?.status, 'compliant');
      await agent.waitForLog('state file written again', (l) => l.msg === 'agent state file written again');
      if (notQueued.length) await agent.waitForLog('queued again', (l) => l.msg === 'reports are queued again');
      for (const l of agent.log.filter((x) => x.level === 'error' || x.msg === 'agent state file written again'))
        t.diagnostic(`${l.level} ${l.msg} ${JSON.stringify(l.error ?? '')}`);
      assert.equal((await agent.stop()).code, 0);
    } finally {
      await agent?.kill();
      await server.stop();
      await tmp.remove();
    }
  });

  it('corrupt state files: each is moved aside and said, and the agent goes on and reports', async () => {
    assertBuilt();
    const tmp = await tempDir();
    const server = await startServer(join(tmp.dir, 'server'));
    let agent: ReturnType<typeof spawnAgent> | undefined;
    try {
      const admin = await AdminApi.login(server.info.url);
      await admin.createPolicy(policyBanning(['line']));
      const tree = await copyLaptop(join(tmp.dir, 'tree'));
      const stateDir = join(tmp.dir, 'state');
      await mkdir(join(stateDir, 'outbox'), { recursive: true, mode: 0o700 });
      await writeFile(join(stateDir, 'agent-state.json'), '{"format":"appwacht-agent-state","version":1,"pend');
      await writeFile(join(stateDir, 'policy.json'), 'not json at all');
      await writeFile(join(stateDir, 'notifications.json'), '[1,2,3]');
      await writeFile(join(stateDir, 'device.json'), '{"serverUrl":', { mode: 0o600 });
      await writeFile(
        join(stateDir, 'outbox', '000000000001-change-0e3f6a52-2b3b-4c0c-9a8e-55b1a3f1d2c4.json'),
        '\u0000\u0000garbage',
      );
      const env = agentEnv({ server: server.info, stateDir, home: join(tmp.dir, 'home') });
      // Notifications on (they fail without a desktop session, which is logged): the memory file is read only then.
      agent = spawnAgent(['run', '--root', tree, '--os', 'linux', ...FAST, '--retry-max', '0.5'], env);
      for (const [what, msg] of [
        ['agent state', 'agent state file was corrupt; moved aside, starting fresh'],
        ['policy cache', 'policy cache rejected'],
        ['device token', 'device token unusable'],
        ['outbox entry', 'corrupt outbox entry moved aside'],
        ['notification memory', 'notification memory was corrupt; moved aside'],
      ] as const)
        await agent.waitForLog(what, (l) => l.msg === msg, 20_000);
      await waitFor('reports on the server', async () => ((await admin.devices())[0]?.status === 'violation' ? true : undefined));
      const status = await agentStatus(env);
      assert.equal(status.enrolled, true);
      assert.equal(status.outbox.queued, 0);
      assert.equal(agent.child.exitCode, null);
    } finally {
      await agent?.kill();
      await server.stop();
      await tmp.remove();
    }
  });

  it('a 401 leads to re-enrollment; a server that refuses the secret leads to spaced attempts, not a crash loop', async () => {
    assertBuilt();
    const tmp = await tempDir();
    const dataDir = join(tmp.dir, 'server');
    const port = await freePort();
    let server = await startServer(dataDir, { port });
    let agent: ReturnType<typeof spawnAgent> | undefined;
    const forgetTokens = () => {
      const db = new Database(join(dataDir, 'appwacht.sqlite'));
      try {
        db.prepare("update devices set token_hash = 'revoked-by-test'").run();
      } finally {
        db.close();
      }
    };
    try {
      const admin = await AdminApi.login(server.info.url);
      await admin.createPolicy(policyBanning(['line']));
      const tree = await copyLaptop(join(tmp.dir, 'tree'));
      const env = agentEnv({ server: server.info, stateDir: join(tmp.dir, 'state'), home: join(tmp.dir, 'home') });
      // Default enrollment backoff (1 min … 1 h): the point is that a refusing server is not hammered.
      agent = spawnAgent(['run', '--root', tree, '--os', 'linux', '--no-notifications', ...FAST], env);
      const [device] = await waitFor('first report', async () => {
        const d = await admin.devices();
        return d[0]?.status === 'violation' ? d : undefined;
      });

      // IT deleted the device on the server. (A machine the server still knows would need its current token or an
      // admin's approval to enroll again: test/server/routes/reenroll.test.ts.)
      await server.stop();
      const db = new Database(join(dataDir, 'appwacht.sqlite'));
      try {
        db.pragma('foreign_keys = ON');
        db.prepare('delete from devices').run();
      } finally {
        db.close();
      }
      server = await startServer(dataDir, { port });
      await agent.waitForLog('401 seen', (l) => l.msg === 'device token rejected by the server', 20_000);
      await agent.waitForLog('enrolled again', (l) => l.msg === 'enrolled' && l.deviceId !== device!.id, 20_000);
      await setLine(tree, false);
      await waitFor(
        'the change delivered with the new token',
        async () => ((await admin.devices())[0]?.status === 'compliant' ? true : undefined),
        20_000,
      );

      // Now the server also refuses the secret (rotated by IT): the agent must wait between attempts and keep working.
      await server.stop();
      forgetTokens();
      await writeFile(join(dataDir, 'enrollment-secret'), 'a-rotated-secret-the-agent-does-not-have\n', { mode: 0o600 });
      server = await startServer(dataDir, { port });
      await agent.waitForLog('refused', (l) => l.msg === 'enrollment failed' && l.reason === 'refused', 20_000);
      const from = agent.log.length;
      await setLine(tree, true);
      await agent.waitForLog('still scanning', (l) => l.msg === 'state changed' && l.status === 'violation', 10_000);
      await new Promise((r) => setTimeout(r, 4_000));
      const attempts = agent.log.slice(from).filter((l) => l.msg === 'enrollment failed').length;
      assert.ok(attempts <= 2, `enrollment attempts are spaced out by the backoff (${attempts} in ~5 s)`);
      assert.equal(agent.child.exitCode, null, 'no crash');
      assert.ok(!agent.log.some((l) => String(l.msg).endsWith('turn failed; the loop goes on')), 'no turn failed');
      const status = await agentStatus(env);
      assert.equal(status.enrolled, false);
      assert.equal((status.enrollment as { reason?: string }).reason !== undefined, true);
      assert.ok(status.outbox.queued >= 1, 'the report waits in the outbox');
      assert.equal((await agent.stop()).code, 0);
    } finally {
      await agent?.kill();
      await server.stop();
      await tmp.remove();
    }
  });
});
