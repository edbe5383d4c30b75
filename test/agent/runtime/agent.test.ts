/**
 * The background loop in-process (runAgent with a memory logger) against the STAND-IN server of test/helpers (real HTTP
 * on loopback), which can revoke tokens and hold a policy the test signs. The real server and the agent as a process are
 * exercised in test/e2e; this file pins down the loop's own rules one at a time.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSigningKeys, publicKeyToBase64, signPayload, type HostFacts, type Policy } from '../../../protocol/index.js';
import { createPublicKey } from 'node:crypto';
import { memoryLogger, type LogFields } from '../../../agent/log.js';
import { loadDefaultPolicy } from '../../../agent/policy/default-policy.js';
import { buildReport, fingerprint } from '../../../agent/report/build.js';
import { runAgent, type RunAgentOptions } from '../../../agent/runtime/agent.js';
import { emptyState } from '../../../agent/runtime/state.js';
import { readRuntimeState } from '../../../agent/runtime/status.js';
import type { InstanceLockError } from '../../../agent/state/lock.js';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.js';
import { STATE_FILES } from '../../../agent/state/names.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const LINE_FILE = join('home', 'anna', '.local', 'share', 'applications', 'wine', 'Programs', 'LINE.desktop');
const HOST: HostFacts = {
  hostname: 'loop-test',
  os: 'linux',
  osVersion: 'Debian 12',
  osUser: 'tester',
  agentVersion: '0.1.0',
  machineId: 'a'.repeat(64),
};

let tmp: string;
let lineContent: Buffer;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'appwacht-loop-'));
  lineContent = await readFile(join(REPO, 'test', 'fixtures', 'linux', 'laptop', LINE_FILE));
});
after(() => rm(tmp, { recursive: true, force: true }));

const keys = generateSigningKeys();
const publicKey = publicKeyToBase64(createPublicKey(keys.privateKeyPem));

function signed(version: number, apps: string[]) {
  const base = loadDefaultPolicy();
  const policy: Policy = {
    ...base,
    version,
    issuedAt: new Date().toISOString(),
    rules: apps.map((app) => ({ id: `ban-${app}`, app, action: 'ban' as const, deadline: '2026-03-01T00:00:00Z' })),
  };
  return signPayload(JSON.stringify(policy), keys.privateKeyPem);
}

interface Harness {
  dir: string;
  stateDir: string;
  tree: string;
  log: ReturnType<typeof memoryLogger>;
  stop(): Promise<void>;
  done: Promise<void>;
  waitFor(what: string, match: (l: LogFields) => boolean, timeoutMs?: number): Promise<LogFields>;
  setLine(present: boolean): Promise<void>;
}

let counter = 0;
async function harness(
  server: StandInServer | undefined,
  over: Partial<RunAgentOptions> = {},
  prepare?: (stateDir: string) => Promise<void>,
): Promise<Harness> {
  const dir = join(tmp, `h${counter++}`);
  const stateDir = join(dir, 'state');
  const tree = join(dir, 'tree');
  await mkdir(join(tree, 'etc'), { recursive: true });
  await cp(join(REPO, 'test', 'fixtures', 'linux', 'laptop', 'etc'), join(tree, 'etc'), { recursive: true });
  // A package database with one harmless package: without one the tree is no system and every scan is unknown.
  await mkdir(join(tree, 'var', 'lib', 'dpkg'), { recursive: true });
  await writeFile(
    join(tree, 'var', 'lib', 'dpkg', 'status'),
    'Package: coreutils\nStatus: install ok installed\nVersion: 9.4-3\nArchitecture: amd64\n\n',
  );
  await mkdir(stateDir, { recursive: true });
  await prepare?.(stateDir);
  const log = memoryLogger('debug');
  const controller = new AbortController();
  const cli: Record<string, string> = { stateDir };
  if (server) Object.assign(cli, { serverUrl: server.url, enrollmentSecret: server.secret, policyPublicKey: publicKey });
  const done = runAgent({
    env: { HOME: dir },
    lang: 'en',
    signal: controller.signal,
    cli,
    target: { os: 'linux', root: tree, liveProcesses: false },
    overrides: { scanMs: 100, refreshMs: 300, heartbeatMs: 60_000, retryMaxMs: 200 },
    notifications: false,
    log,
    hostFacts: async () => HOST,
    resolve: async (o) => {
      const { resolveConfig } = await import('../../../agent/config/resolve.js');
      return resolveConfig({ ...o, root: join(dir, 'no-managed'), home: dir });
    },
    ...over,
  });
  const waitFor = async (what: string, match: (l: LogFields) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = log.lines.find(match);
      if (hit) return hit;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(log.lines.slice(-15), null, 1)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    dir,
    stateDir,
    tree,
    log,
    done,
    waitFor,
    async stop() {
      controller.abort();
      await done;
    },
    async setLine(present) {
      const file = join(tree, LINE_FILE);
      if (present) {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, lineContent);
      } else await rm(file, { force: true });
    },
  };
}

const changes = (log: LogFields[]) => log.filter((l) => l.msg === 'state changed');

describe('the background loop (in-process, stand-in server)', () => {
  let server: StandInServer;
  before(async () => {
    server = await startStandInServer();
    server.policy = signed(2, ['line']);
  });
  after(() => server.close());

  it('runs in local mode without a server: bundled policy, says so, queues nothing', async () => {
    const h = await harness(undefined);
    try {
      await h.setLine(true);
      const changed = await h.waitFor('state changed', (l) => l.msg === 'state changed');
      assert.equal(changed.mode, 'local');
      assert.equal(changed.reportId, undefined, 'no report is built for nobody');
      assert.ok(h.log.lines.some((l) => l.msg === 'local mode: no server configured, nothing is reported'));
      assert.ok(h.log.lines.some((l) => l.msg === 'policy in force' && l.origin === 'bundled'));
    } finally {
      await h.stop();
    }
    assert.ok(!existsSync(join(h.stateDir, 'outbox')), 'no outbox without a server');
    const read = await readRuntimeState(h.stateDir);
    assert.equal(read.status === 'ok' && read.state.mode, 'local');
    assert.equal(read.status === 'ok' && read.state.lastScan?.state.status, 'violation');
    assert.ok(read.status === 'ok' && read.state.agent.stoppedAt, 'a clean stop is recorded');
  });

  it('enrolls, takes the signed policy, reports a change on every transition and nothing between them', async () => {
    const before = server.reports.size;
    const h = await harness(server);
    try {
      await h.waitFor('server policy', (l) => l.msg === 'policy in force' && l.origin === 'server' && l.version === 2);
      await h.waitFor('first state', (l) => l.msg === 'state changed');
      await h.setLine(true);
      await h.waitFor('found line', (l) => l.msg === 'state changed' && l.status === 'violation');
      await h.setLine(false);
      await h.waitFor(
        'gone line',
        (l) => l.msg === 'state changed' && l.status === 'compliant' && changes(h.log.lines).length === 3,
      );
      await new Promise((r) => setTimeout(r, 500)); // five more scans with nothing new
      assert.equal(changes(h.log.lines).length, 3, 'an unchanged state is not reported again');
      const ids = changes(h.log.lines).map((l) => l.reportId as string);
      for (let i = 0; i < 50 && !ids.every((id) => server.reports.has(id)); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(
        ids.every((id) => server.reports.has(id)),
        'all delivered',
      );
      assert.equal(server.reports.size - before, 3);
    } finally {
      await h.stop();
    }
  });

  it('re-queues a report committed by a run that was killed, under the same id, and sends no duplicate change', async () => {
    // The state a SIGKILL leaves right after the commit point: the report and its fingerprint in the state file, outbox empty.
    let pendingId = '';
    const h = await harness(server, {}, async (stateDir) => {
      const policy = JSON.parse(signed(2, ['line']).payload) as Policy;
      const evaluation = { state: { status: 'compliant' as const, pastDeadline: false, daysPastDeadline: 0 }, findings: [] };
      const report = buildReport({
        evaluation,
        policyVersion: policy.version,
        agentVersion: '0.1.0',
        sources: [],
        kind: 'change',
        now: new Date(),
      });
      pendingId = report.reportId;
      const state = emptyState(new Date(), 99999, '0.1.0');
      state.mode = 'server';
      state.server = server.url;
      state.lastFingerprint = fingerprint(evaluation);
      state.lastReport = { reportId: report.reportId, kind: 'change', at: report.scannedAt };
      state.pending = [report];
      await writeFile(join(stateDir, STATE_FILES.runtimeState), JSON.stringify(state));
    });
    try {
      await h.waitFor('recovered', (l) => l.msg === 'report recovered from an interrupted run' && l.reportId === pendingId);
      for (let i = 0; i < 100 && !server.reports.has(pendingId); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(server.reports.has(pendingId), 'the committed report reached the server under its id');
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(changes(h.log.lines).length, 0, 'the remembered fingerprint matches: no second report of the same state');
    } finally {
      await h.stop();
    }
    const read = await readRuntimeState(h.stateDir);
    assert.deepEqual(read.status === 'ok' && read.state.pending, []);
  });

  it('re-enrolls after a 401 and delivers what was waiting', async () => {
    const h = await harness(server);
    try {
      await h.waitFor('first state', (l) => l.msg === 'state changed');
      const enrollsBefore = server.requests.filter((r) => r.url.endsWith('/enroll')).length;
      server.revokeAll();
      await h.setLine(true);
      const changed = await h.waitFor('found line', (l) => l.msg === 'state changed' && l.status === 'violation');
      for (let i = 0; i < 100 && !server.reports.has(changed.reportId as string); i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(server.reports.has(changed.reportId as string), 'delivered with the new token');
      assert.ok(server.requests.filter((r) => r.url.endsWith('/enroll')).length > enrollsBefore, 'enrolled again');
      assert.ok(h.log.lines.some((l) => l.msg === 'device token rejected by the server'));
    } finally {
      await h.stop();
    }
  });

  it('goes on after an unexpected error in a scan turn', async () => {
    let calls = 0;
    const h = await harness(undefined); // for its folders; the loop below is wired by hand with a scan that throws once
    await h.stop();
    const { AgentLoop } = await import('../../../agent/runtime/loop.js');
    const { RuntimeStateStore } = await import('../../../agent/runtime/state.js');
    const { createPolicyClient } = await import('../../../agent/policy/client.js');
    const { createFilePolicyStore } = await import('../../../agent/policy/store.js');
    const { scan } = await import('../../../agent/scan.js');
    const log = memoryLogger();
    const { store } = await RuntimeStateStore.load(h.stateDir, { agentVersion: '1', log });
    const controller = new AbortController();
    const loop = new AgentLoop({
      log,
      store,
      policyClient: createPolicyClient({ store: createFilePolicyStore(h.stateDir) }),
      overrides: { scanMs: 50 },
      scan: async (policy) => {
        calls++;
        if (calls === 1) throw new TypeError('boom in the scan');
        return scan({ os: 'linux', root: h.tree, liveProcesses: false, policy });
      },
    });
    const running = loop.run(controller.signal);
    for (let i = 0; i < 100 && !log.lines.some((l) => l.msg === 'state changed'); i++)
      await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await running;
    const failed = log.lines.find((l) => l.msg === 'scan turn failed; the loop goes on');
    assert.ok(failed, 'the failure is logged');
    assert.deepEqual(failed.error, { message: 'boom in the scan' });
    assert.ok(
      log.lines.some((l) => l.msg === 'state changed'),
      'and the next turn worked',
    );
    assert.equal(store.state.lastError?.message, 'boom in the scan', 'status shows it');
  });

  it('refuses a second instance on the same state folder', async () => {
    const h = await harness(undefined);
    try {
      await h.waitFor('running', (l) => l.msg === 'state changed');
      await assert.rejects(
        runAgent({
          env: { HOME: h.dir },
          lang: 'de',
          signal: new AbortController().signal,
          cli: { stateDir: h.stateDir },
          target: { os: 'linux', root: h.tree, liveProcesses: false },
          notifications: false,
          log: memoryLogger(),
        }),
        (err: InstanceLockError) => err.code === 'ALREADY_RUNNING' && /läuft für diesen Benutzer bereits/.test(err.message),
      );
    } finally {
      await h.stop();
    }
  });

  it('takes a new policy from the server at once and evaluates with it', async () => {
    const local = await startStandInServer();
    local.policy = signed(5, ['whatsapp']);
    const h = await harness(local);
    try {
      await h.setLine(true);
      await h.waitFor('v5', (l) => l.msg === 'policy in force' && l.version === 5);
      await h.waitFor('compliant under v5', (l) => l.msg === 'state changed' && l.status === 'compliant');
      local.policy = signed(6, ['line']);
      await h.waitFor('v6', (l) => l.msg === 'policy in force' && l.version === 6);
      const changed = await h.waitFor('violation under v6', (l) => l.msg === 'state changed' && l.status === 'violation');
      assert.equal(changed.policyVersion, 6);
      assert.ok(
        h.log.lines.some((l) => l.msg === 'scan done' && l.trigger === 'policy changed'),
        'the new policy triggered a scan of its own',
      );
    } finally {
      await h.stop();
      await local.close();
    }
  });
});
