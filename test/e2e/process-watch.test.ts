import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  AdminApi,
  agentEnv,
  agentStatus,
  assertBuilt,
  policyBanning,
  spawnAgent,
  startServer,
  tempDir,
  waitFor,
  type DeviceDetail,
} from './helpers.js';

interface ProcessFinding {
  appId: string;
  processes: { pid: number; name: string }[];
}

function reportsWithPid(detail: DeviceDetail, pid: number) {
  return detail.reports.items.filter((r) =>
    ((r.report as { findings: ProcessFinding[] }).findings ?? []).some((f) => f.processes.some((p) => p.pid === pid)),
  );
}

// How fast a start is noticed and recorded is measured by `npm run bench:agent` ("banned app started 10×"), beside
// its baseline; this test asserts only that it happens. Its waits are bounds against hanging, not speed goals.
const HANG_BOUND_MS = 60_000;

describe('process watch (real agent, real server, a real process named like a banned app)', () => {
  it('reports a started Telegram, and its exit', async (t) => {
    if (process.platform !== 'linux') return t.skip('the /proc process watch is Linux-only; other OSes poll the process list');
    assertBuilt();
    const tmp = await tempDir();
    const server = await startServer(join(tmp.dir, 'server'));
    let agent: ReturnType<typeof spawnAgent> | undefined;
    let telegram: ReturnType<typeof spawn> | undefined;
    try {
      const admin = await AdminApi.login(server.info.url);
      // That the report comes from the watch, not from an interval scan, is checked below by its log line and trigger.
      const v = await admin.createPolicy(policyBanning(['telegram']));
      // A tree with one harmless package and nothing else: the only evidence can be the running process. (Without a
      // package database the tree is no system, and its scans are unknown.)
      const emptyTree = join(tmp.dir, 'tree');
      await mkdir(join(emptyTree, 'var', 'lib', 'dpkg'), { recursive: true });
      await writeFile(
        join(emptyTree, 'var', 'lib', 'dpkg', 'status'),
        'Package: coreutils\nStatus: install ok installed\nVersion: 9.4-3\nArchitecture: amd64\n\n',
      );
      const env = agentEnv({ server: server.info, stateDir: join(tmp.dir, 'state'), home: join(tmp.dir, 'home') });
      agent = spawnAgent(
        ['run', '--root', emptyTree, '--os', 'linux', '--processes', 'live', '--no-notifications', '--retry-max', '1'],
        env,
      );
      await agent.waitForLog('server policy', (l) => l.msg === 'policy in force' && l.version === v.version);
      const [device] = await waitFor('the first report', async () => {
        const d = await admin.devices();
        return d[0]?.status !== 'unknown' && d[0]?.policyVersion === v.version ? d : undefined;
      });
      // The watch is up and past its baseline tick once it has logged its start and the policy has been compiled.
      await agent.waitForLog('watch started', (l) => l.msg === 'process watch started');
      await new Promise((r) => setTimeout(r, 2_500));

      // The upstream Telegram tarball's binary is called "Telegram": a copy of sleep under that name.
      const exe = join(tmp.dir, 'bin', 'Telegram');
      await mkdir(join(tmp.dir, 'bin'));
      await copyFile('/bin/sleep', exe);
      const started = Date.now();
      telegram = spawn(exe, ['120'], { stdio: 'ignore' });
      const pid = telegram.pid!;
      const report = await waitFor(
        'a report naming the running process',
        async () => {
          const hits = reportsWithPid(await admin.device(device!.id), pid);
          return hits.length ? hits : undefined;
        },
        HANG_BOUND_MS,
        50,
      );
      const elapsed = Date.now() - started;
      assert.equal(report[0]!.kind, 'change');
      const noticed = agent.log.find((l) => l.msg === 'banned app started' && l.pid === pid);
      assert.ok(noticed, 'the watch logged the start');
      // The state file is written at the end of the turn that sent the report: wait for it rather than race it.
      const status = await waitFor('the status of that turn', async () => {
        const s = await agentStatus(env);
        return s.compliance?.status === 'violation' ? s : undefined;
      });
      assert.deepEqual(status.compliance?.findings.find((f) => f.appId === 'telegram')?.evidence, ['running']);
      assert.match((status.compliance as unknown as { trigger: string }).trigger, /^process started: Telegram/);
      t.diagnostic(`start → report on the server: ${elapsed} ms (not a test: bench:agent measures it)`);

      // Quit it: the exit is noticed too, and the next change report no longer names the pid.
      telegram.kill('SIGKILL');
      await agent.waitForLog('exit noticed', (l) => l.msg === 'banned app exited' && l.pid === pid, HANG_BOUND_MS);
      await waitFor(
        'a later change report without the process',
        async () => {
          const items = (await admin.device(device!.id)).reports.items;
          const newest = items.find((r) => r.kind === 'change');
          return newest && reportsWithPid({ ...device!, reports: { items: [newest] } } as DeviceDetail, pid).length === 0
            ? newest
            : undefined;
        },
        HANG_BOUND_MS,
      );
    } finally {
      telegram?.kill('SIGKILL');
      await agent?.kill();
      await server.stop();
      await tmp.remove();
    }
  });
});
