import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RuntimeState, RuntimeStateStore, emptyState } from '../../../agent/runtime/state.js';
import { readRuntimeState } from '../../../agent/runtime/status.js';
import { memoryLogger } from '../../../agent/log.js';
import { STATE_FILES } from '../../../agent/state/names.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'appwacht-runtime-state-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function freshDir(name: string): Promise<string> {
  const d = join(dir, name);
  await rm(d, { recursive: true, force: true });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(d, { recursive: true });
  return d;
}

describe('RuntimeStateStore', () => {
  it('starts fresh without a file, and a saved state comes back on the next load with this run’s agent facts', async () => {
    const d = await freshDir('roundtrip');
    const first = await RuntimeStateStore.load(d, { agentVersion: '1.0.0', pid: 111, now: new Date('2026-11-01T10:00:00Z') });
    assert.equal(first.previous, undefined);
    first.store.state.lastFingerprint = {
      status: 'violation',
      deadline: null,
      pastDeadline: false,
      apps: [{ appId: 'line', evidence: ['installed'] }],
    };
    first.store.state.lastError = { at: '2026-11-01T10:00:00.000Z', code: 'X', message: 'old trouble' };
    await first.store.save();
    const second = await RuntimeStateStore.load(d, { agentVersion: '1.0.1', pid: 222 });
    assert.deepEqual(second.store.state.lastFingerprint, first.store.state.lastFingerprint, 'the fingerprint survives a restart');
    assert.equal(second.store.state.agent.pid, 222);
    assert.equal(second.store.state.agent.agentVersion, '1.0.1');
    assert.equal(second.store.state.agent.stoppedAt, null);
    assert.equal(second.store.state.lastError, null, 'the previous run’s error is history');
  });

  for (const [name, content] of [
    ['not JSON', '{"format": "appwacht-agent-state", "vers'],
    ['JSON of another shape', JSON.stringify({ format: 'appwacht-agent-state', version: 1, pending: 'nope' })],
    [
      'a pending report that is no report',
      JSON.stringify({ format: 'appwacht-agent-state', version: 1, pending: [{ reportId: 'x' }] }),
    ],
    ['empty', ''],
  ] as const) {
    it(`moves a corrupt state file aside (${name}), logs it and starts fresh`, async () => {
      const d = await freshDir(`corrupt-${name.replace(/\W+/g, '-')}`);
      await writeFile(join(d, STATE_FILES.runtimeState), content);
      const log = memoryLogger();
      const { store, previous } = await RuntimeStateStore.load(d, { agentVersion: '1', log });
      assert.equal(previous, undefined);
      assert.equal(store.state.lastFingerprint, null);
      const line = log.lines.find((l) => l.msg === 'agent state file was corrupt; moved aside, starting fresh');
      assert.ok(line, JSON.stringify(log.lines));
      assert.ok(existsSync(line.movedTo as string), 'the bad file is kept for inspection');
      assert.ok(!existsSync(join(d, STATE_FILES.runtimeState)));
      await store.save();
      assert.equal((await readRuntimeState(d)).status, 'ok');
    });
  }

  it('serialises saves: the last one wins, none is torn', async () => {
    const d = await freshDir('serial');
    const { store } = await RuntimeStateStore.load(d, { agentVersion: '1' });
    const saves = [];
    for (let i = 0; i < 20; i++) {
      store.state.lastScan = {
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        durationMs: i,
        trigger: `t${i}`,
        state: { status: 'compliant', pastDeadline: false, daysPastDeadline: 0 },
        findings: [],
        failedSources: [],
      };
      saves.push(store.save());
    }
    await Promise.all(saves);
    const read = await readRuntimeState(d);
    assert.equal(read.status, 'ok');
    assert.equal(read.status === 'ok' && read.state.lastScan?.trigger, 't19');
    assert.deepEqual(
      (await readdir(d)).filter((n) => n.endsWith('.tmp')),
      [],
      'no temp files left behind',
    );
  });

  it('recreates a state folder deleted under a running agent', async () => {
    const d = await freshDir('deleted');
    const { store } = await RuntimeStateStore.load(d, { agentVersion: '1' });
    await rm(d, { recursive: true });
    await store.save();
    assert.equal((await readRuntimeState(d)).status, 'ok');
  });

  it('a save into an unwritable place rejects with a StateFileError and the next save still runs', async () => {
    const d = await freshDir('unwritable');
    const { store } = await RuntimeStateStore.load(d, { agentVersion: '1' });
    await writeFile(join(d, 'blocker'), 'x');
    (store as unknown as { path: string }).path = join(d, 'blocker', STATE_FILES.runtimeState);
    await assert.rejects(store.save(), (err: Error & { code?: string }) => err.name === 'StateFileError');
    (store as unknown as { path: string }).path = join(d, STATE_FILES.runtimeState);
    await store.save();
    assert.equal((await readRuntimeState(d)).status, 'ok');
  });
});

describe('readRuntimeState (appwacht status)', () => {
  it('reports a missing, unreadable or corrupt file without moving it', async () => {
    const d = await freshDir('status-read');
    assert.deepEqual(await readRuntimeState(d), { status: 'missing' });
    await writeFile(join(d, STATE_FILES.runtimeState), 'garbage');
    const read = await readRuntimeState(d);
    assert.equal(read.status, 'unreadable');
    assert.equal(await readFile(join(d, STATE_FILES.runtimeState), 'utf8'), 'garbage', 'status leaves the agent’s file alone');
  });
});

describe("status's own check of the state file (state-check.ts) against the agent's schema", () => {
  /** Every field status shows, set: what a device that found a banned app and cannot deliver has in its file. */
  function fullState(): RuntimeState {
    const s = emptyState(new Date('2026-11-20T08:00:00Z'), 4242, '0.1.0');
    const problem = { at: '2026-11-20T09:00:00.000Z', code: 'UNAVAILABLE', message: 'ECONNREFUSED' };
    return {
      ...s,
      mode: 'server',
      server: 'https://appwacht.example',
      enrollment: { enrolled: false, reason: 'ENROLL_REJECTED', message: 'secret wrong', retryAt: '2026-11-20T10:00:00.000Z' },
      policy: {
        origin: 'cache',
        version: 7,
        reportVersion: 7,
        organization: 'Stadt',
        expired: true,
        reason: 'server unavailable',
        rejected: problem,
      },
      lastScan: {
        at: '2026-11-20T08:59:00.000Z',
        durationMs: 120,
        trigger: 'watch',
        state: {
          status: 'violation',
          gaps: [{ code: 'SOURCE_FAILED', source: 'rpm' }],
          deadline: '2026-09-15T00:00:00+02:00',
          pastDeadline: true,
          daysPastDeadline: 66,
        },
        findings: [{ appId: 'whatsapp', name: 'WhatsApp', action: 'ban', evidence: ['installed', 'running'] }],
        failedSources: [{ id: 'rpm', error: 'RPM_UNREADABLE' }],
      },
      lastReport: { reportId: 'r1', kind: 'change', at: '2026-11-20T08:59:00.000Z' },
      lastDelivery: { reportId: 'r0', at: '2026-11-20T08:00:00.000Z', stored: true },
      lastDeliveryError: problem,
      lastError: problem,
    };
  }

  async function readWritten(name: string, state: unknown) {
    const d = await freshDir(name);
    await writeFile(join(d, STATE_FILES.runtimeState), JSON.stringify(state));
    return readRuntimeState(d);
  }

  it('accepts what the schema accepts: a fresh state and one with every shown field set', async () => {
    for (const [name, state] of [
      ['fresh', emptyState(new Date(), 1, '0.1.0')],
      ['full', fullState()],
    ] as const) {
      RuntimeState.parse(state);
      assert.deepEqual(await readWritten(`check-${name}`, state), { status: 'ok', state: JSON.parse(JSON.stringify(state)) });
    }
  });

  it('rejects, naming the field, what the schema rejects in a field status shows', async () => {
    const cases: [string, (s: RuntimeState) => void][] = [
      ['format', (s) => void ((s as { format: string }).format = 'something-else')],
      ['version', (s) => void ((s as { version: number }).version = 2)],
      ['agent.pid', (s) => void ((s.agent as { pid: unknown }).pid = '4242')],
      ['mode', (s) => void ((s as { mode: string }).mode = 'offline')],
      ['policy.rejected.message', (s) => void ((s.policy!.rejected as { message?: string }).message = undefined)],
      ['lastScan.state.status', (s) => void ((s.lastScan!.state as { status: string }).status = 'fine')],
      ['lastScan.findings.0.evidence.1', (s) => void ((s.lastScan!.findings[0]!.evidence as string[])[1] = 'seen')],
      ['lastScan.state.gaps.0.code', (s) => void ((s.lastScan!.state.gaps![0] as { code: unknown }).code = 3)],
      ['lastError', (s) => void ((s as { lastError: unknown }).lastError = 'disk full')],
      ['pending', (s) => void ((s as { pending: unknown }).pending = {})],
    ];
    for (const [field, spoil] of cases) {
      const state = fullState();
      spoil(state);
      assert.equal(RuntimeState.safeParse(state).success, false, `the schema rejects ${field} too`);
      const read = await readWritten(`check-${field}`, state);
      assert.equal(read.status, 'unreadable', field);
      assert.match(
        (read as { reason: string }).reason,
        new RegExp(`field ${field.replace(/\./g, '\\.')} is missing or wrong`),
        field,
      );
    }
    const notAnObject = await readWritten('check-array', [1, 2]);
    assert.match((notAnObject as { reason: string }).reason, /field \(the whole file\)/);
  });
});
