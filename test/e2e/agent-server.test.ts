import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { markerVouchesFor } from '../../agent/policy/checked-marker.js';
import {
  AdminApi,
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
  type LogLine,
} from './helpers.js';

/** Change report ids the agent recorded (committed), in order, with the status they report. */
function recordedChanges(log: LogLine[]): { reportId: string; status: string }[] {
  return log
    .filter((l) => l.msg === 'state changed' && typeof l.reportId === 'string')
    .map((l) => ({ reportId: l.reportId as string, status: l.status as string }));
}

describe('agent ↔ server, end to end (real server process on SQLite, real agent process)', () => {
  it('enrolls, pulls the signed policy, reports, queues while the server is away, delivers once, rejects a tampered policy', async () => {
    assertBuilt();
    const tmp = await tempDir();
    const dataDir = join(tmp.dir, 'server');
    const stateDir = join(tmp.dir, 'state');
    const tree = await copyLaptop(join(tmp.dir, 'tree'));
    const lineFile = join(tree, LINE_DESKTOP_FILE);
    const lineContent = await readFile(join(LAPTOP_FIXTURE, LINE_DESKTOP_FILE));
    const port = await freePort();
    let server = await startServer(dataDir, { port });
    let agent: ReturnType<typeof spawnAgent> | undefined;
    try {
      const admin = await AdminApi.login(server.info.url);
      const v = await admin.createPolicy(policyBanning(['line']));
      const env = agentEnv({ server: server.info, stateDir, home: join(tmp.dir, 'home') });
      agent = spawnAgent(
        [
          'run',
          ...['--root', tree, '--os', 'linux', '--no-notifications', '--log-level', 'debug'],
          ...['--scan-interval', '0.5', '--refresh-interval', '1', '--heartbeat-interval', '60', '--retry-max', '1'],
        ],
        env,
      );

      // Enroll, pull the signed policy, scan the tree with LINE in it, report.
      await agent.waitForLog('enrolled', (l) => l.msg === 'enrolled');
      await agent.waitForLog('server policy in force', (l) => l.msg === 'policy in force' && l.version === v.version);
      // The turn that pulled and checked it left the checked marker beside the cache: `appwacht scan` then verifies the
      // signature without loading the schemas (agent/policy/checked-marker.ts).
      await waitFor('the checked marker beside the policy cache', async () =>
        markerVouchesFor(stateDir, await readFile(join(stateDir, 'policy.json'), 'utf8')),
      );
      const violating = await waitFor('the device shown non-compliant by the admin API', async () => {
        const [d] = await admin.devices();
        return d?.status === 'violation' && d.apps.some((a) => a.appId === 'line') ? d : undefined;
      });
      assert.equal(violating.policyVersion, v.version, 'the report names the signed policy version');
      // The state file is written at the end of the turn that delivered the report: wait for it rather than race it.
      let status = await waitFor('the status of that turn', async () => {
        const s = await agentStatus(env);
        return s.compliance?.status === 'violation' ? s : undefined;
      });
      assert.equal(status.enrolled, true);
      assert.equal(status.mode, 'server');
      assert.equal(status.policy?.origin, 'server');
      assert.equal(status.policy?.version, v.version);
      assert.equal(status.compliance?.status, 'violation');

      // Remove the app from the tree: compliant.
      await rm(lineFile);
      await waitFor('the device turned compliant', async () =>
        (await admin.devices())[0]?.status === 'compliant' ? true : undefined,
      );

      // Server away: state changes queue up in the outbox.
      assert.equal(await server.stop(), 0);
      const beforeOutage = recordedChanges(agent.log).length;
      for (const present of [true, false, true]) {
        const count = recordedChanges(agent.log).length;
        if (present) {
          await mkdir(dirname(lineFile), { recursive: true });
          await writeFile(lineFile, lineContent);
        } else await rm(lineFile);
        await waitFor('the agent records the change', () => recordedChanges(agent!.log).length > count, 15_000);
      }
      status = await waitFor('three reports waiting', async () => {
        const s = await agentStatus(env);
        return s.outbox.queued >= 3 ? s : undefined;
      });
      assert.ok(status.outbox.queued >= 3, `outbox grew while the server was away (${status.outbox.queued})`);
      assert.equal(recordedChanges(agent.log).length, beforeOutage + 3);

      // Server back (same data, same port): everything delivered, nothing twice.
      server = await startServer(dataDir, { port });
      await waitFor(
        'the outbox drained',
        async () => {
          const s = await agentStatus(env);
          return s.outbox.queued === 0 && s.outbox.pending === 0 ? s : undefined;
        },
        30_000,
      );
      const rows = serverReports(dataDir);
      const ids = rows.map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length, 'no report id stored twice');
      const changes = recordedChanges(agent.log);
      const changeRows = rows.filter((r) => r.kind === 'change');
      assert.deepEqual(
        changeRows.map((r) => r.id),
        changes.map((c) => c.reportId),
        'every change the agent recorded is on the server, in order, and no other',
      );
      assert.deepEqual(
        changeRows.map((r) => r.status),
        ['violation', 'compliant', 'violation', 'compliant', 'violation'],
      );
      // While the policy refresh finds the server away, deliveries wait for its next try (one retry clock, not two:
      // each try is a turn); the agent kept asking all the same.
      const asked = agent.log.filter(
        (l) => l.msg === 'report delivery failed; will retry' || l.msg === 'policy refresh failed',
      ).length;
      assert.ok(asked > 1, `the agent kept trying the server while it was away (${asked} tries)`);
      assert.equal((await admin.devices())[0]?.status, 'violation');

      // A tampered policy: a newer version whose payload no longer fits the signature, written into the server's database.
      const db = new Database(join(dataDir, 'appwacht.sqlite'));
      try {
        db.pragma('busy_timeout = 5000');
        const good = db.prepare('select * from policies where version = ?').get(v.version) as {
          payload: string;
          signature: string;
          key_id: string;
          created_at: number;
        };
        const forged = { ...(JSON.parse(good.payload) as Record<string, unknown>), version: v.version + 1, rules: [] };
        db.prepare(
          'insert into policies (version, payload, signature, key_id, etag, created_at, created_by) values (?, ?, ?, ?, ?, ?, ?)',
        ).run(
          v.version + 1,
          JSON.stringify(forged),
          good.signature,
          good.key_id,
          `"forged-${v.version + 1}"`,
          Date.now(),
          'mallory',
        );
      } finally {
        db.close();
      }
      const rejected = await agent.waitForLog('the forged policy rejected', (l) => l.msg === 'policy rejected');
      assert.equal(rejected.reason, 'POLICY_BAD_SIGNATURE');
      await agent.waitForLog('the loop says the last good one stays', (l) =>
        String(l.msg).startsWith('server policy rejected; the last good policy stays in force'),
      );
      // The turn writes the state file when it ends, a moment after its log line.
      status = await waitFor('the status to show the rejection', async () => {
        const s = await agentStatus(env);
        return s.policy?.rejected ? s : undefined;
      });
      assert.equal(status.policy?.version, v.version, 'the last good version stays in force');
      assert.equal(status.policy?.origin, 'cache');
      assert.equal(status.policy?.rejected?.code, 'POLICY_BAD_SIGNATURE');
      // Had the forged policy (no rules) been used, the device would have turned compliant.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal((await agentStatus(env)).compliance?.status, 'violation');
      assert.equal((await admin.devices())[0]?.status, 'violation');
      assert.ok(!agent.log.some((l) => l.msg === 'policy in force' && l.version === v.version + 1));

      // SIGTERM: clean stop, lock released, status says so.
      const exit = await agent.stop();
      assert.equal(exit.code, 0, agent.stderr().slice(-2000));
      assert.ok(!existsSync(join(stateDir, 'appwacht.lock')), 'the lock is released');
      status = await agentStatus(env);
      assert.equal(status.running, false);
      assert.ok(agent.log.some((l) => l.msg === 'stopped'));
    } finally {
      await agent?.kill();
      await server.stop();
      await tmp.remove();
    }
  });
});
