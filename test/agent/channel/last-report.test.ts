/**
 * "What is reported" from end to end, with real parts: the reporter delivers over real HTTP to the stand-in server
 * (test/helpers/stand-in-server.ts, its report answer carrying a ladder as the real server's does), keeps the payload
 * and the ladder in a real state folder, and the machine agent's tray channel (a real Unix socket, the file-claim peer
 * proof) serves them; app-state.ts maps the answers into the window's bridge fields.
 * Tests run as root here, so the channel's peer is root; what a non-root account may see is checked on the pure
 * `reportVisibleTo` below (a second account cannot be created in this sandbox).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentRoutes, type LadderView } from '../../../protocol/index.js';
import { connectTray, type TrayConnection } from '../../../agent/channel/client.js';
import type { LastReportMessage, StateMessage } from '../../../agent/channel/messages.js';
import { startTrayChannel, type TrayChannel } from '../../../agent/channel/server.js';
import { reportVisibleTo } from '../../../agent/channel/view.js';
import { memoryLogger, silentLogger } from '../../../agent/log.js';
import { Outbox } from '../../../agent/outbox/outbox.js';
import { keepDelivered, MAX_KEPT_PAYLOAD_BYTES, readDelivered, readLadder } from '../../../agent/report/last-delivered.js';
import { Reporter } from '../../../agent/report/reporter.js';
import { statePath } from '../../../agent/state/names.js';
import { createApiClient } from '../../../agent/transport/api-client.js';
import { buildAppState, buildLastReport } from '../../../app/main/app-state.js';
import { startStandInServer, type StandInServer } from '../../helpers/stand-in-server.js';
import { finding, report } from '../../helpers/sample-reports.js';

const LADDER: LadderView = {
  step: 'notice',
  reason: 'violation',
  enforced: true,
  deadline: '2099-03-01T12:00:00.000Z',
  blockAt: '2099-03-15T12:00:00.000Z',
  next: { step: 'overdue', at: '2099-03-01T12:00:00.000Z' },
};

describe('the last delivered report and the ladder, from the server to the status window', () => {
  let dir: string;
  let stateDir: string;
  let server: StandInServer;
  let channel: TrayChannel;
  let conn: TrayConnection;
  const ladderFor = new Map<string, LadderView | undefined>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aw-last-report-'));
    stateDir = join(dir, 'state');
    await mkdir(stateDir, { mode: 0o700 });
    server = await startStandInServer();
    // The real server answers each report with the ladder (absent for a replay); the stand-in's answer lacks it.
    server.intercept = (req, res, body) => {
      if (req.method !== 'POST' || req.url !== AgentRoutes.reports) return false;
      const { reportId } = JSON.parse(body) as { reportId: string };
      const ladder = ladderFor.get(reportId);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ reportId, stored: ladder !== undefined, ...(ladder ? { ladder } : {}) }));
      return true;
    };
    channel = await startTrayChannel({ dir: join(dir, 'channel'), stateDir, log: silentLogger, requestCheck: () => {} });
    conn = await connectTray(join(dir, 'channel'));
  });
  after(async () => {
    conn?.close();
    await channel?.close();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const deliverAll = async (...reports: ReturnType<typeof report>[]) => {
    const outbox = await Outbox.open({ dir: statePath(stateDir, 'outbox') });
    for (const r of reports) await outbox.enqueue(r);
    const api = createApiClient({ serverUrl: server.url, fetch: globalThis.fetch, getToken: () => 'token', timeoutMs: 5000 });
    const reporter = new Reporter({
      outbox,
      deliver: (r) => api.postReport(r),
      onUnauthorized: async () => false,
      keepIn: stateDir,
    });
    return reporter.drain(new AbortController().signal);
  };
  const lastReport = async () => (await conn.request({ type: 'read-last-report' })) as LastReportMessage;
  const state = async () => (await conn.request({ type: 'read-state' })) as StateMessage;

  it('before any delivery: no report, no ladder, and the answer says so', async () => {
    const answer = await lastReport();
    assert.deepEqual(answer, {
      type: 'last-report',
      report: null,
      unknown: 'none',
      deliveredAt: null,
      queue: { count: 0, oldestAt: null },
    });
    assert.equal((await state()).ladder, null);
    assert.equal(buildLastReport(answer), null);
  });

  it('after a real HTTP delivery the channel serves exactly the bytes that were posted, and the ladder', async () => {
    const r = report({
      state: { status: 'violation', deadline: LADDER.deadline!, pastDeadline: false, daysPastDeadline: 0 },
      findings: [finding('whatsapp', { deadline: LADDER.deadline! })],
    });
    ladderFor.set(r.reportId, LADDER);
    const before = Date.now();
    assert.deepEqual(await deliverAll(r), { outcome: 'empty' });

    const posted = server.requests.filter((q) => q.url === AgentRoutes.reports).at(-1)!.body;
    const answer = await lastReport();
    assert.equal(JSON.stringify(answer.report), posted, 'the payload shown is the payload sent, nothing more');
    assert.ok(Date.parse(answer.deliveredAt!) >= before - 1000);
    assert.deepEqual(answer.queue, { count: 0, oldestAt: null });

    const s = await state();
    assert.deepEqual(s.ladder?.view, LADDER);
    assert.equal(s.ladder?.receivedAt, answer.deliveredAt);

    // The window's fields (the renderer's tests cover how they are shown).
    const view = buildLastReport(answer);
    assert.equal(JSON.stringify(view?.report), posted);
    assert.equal(view?.deliveredAt, answer.deliveredAt);
    const app = buildAppState({
      state: s,
      mode: 'machine',
      lang: 'en',
      os: 'linux',
      now: new Date(),
      appVersion: '0.1.0',
      check: { running: false, notBefore: null },
      hostFacts: null,
    });
    assert.deepEqual(app.ladder, { view: LADDER, receivedAt: s.ladder!.receivedAt });
  });

  it('a replay (the server answers without a ladder) keeps the ladder it had and shows the newer payload', async () => {
    const r = report({ kind: 'heartbeat' });
    ladderFor.set(r.reportId, undefined);
    await deliverAll(r);
    const answer = await lastReport();
    assert.equal((answer.report as { reportId: string }).reportId, r.reportId);
    assert.deepEqual((await state()).ladder?.view, LADDER);
  });

  it('counts the queue while the server is away', async () => {
    const saved = server.intercept;
    server.intercept = (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: 503, code: 'UNAVAILABLE', message: 'down' }));
      return true;
    };
    try {
      const result = await deliverAll(report(), report());
      assert.equal(result.outcome, 'wait');
      const answer = await lastReport();
      assert.equal(answer.queue.count, 2);
      assert.ok(answer.queue.oldestAt && !Number.isNaN(Date.parse(answer.queue.oldestAt)));
      assert.ok(answer.report, 'the last delivered one is still shown');
      assert.equal(buildLastReport(answer)?.queue.count, 2, 'the window is told the queue');
    } finally {
      server.intercept = saved;
      await deliverAll();
    }
  });

  it('a corrupt payload file: "not known, unreadable", the ladder, state and queue are untouched', async () => {
    const file = statePath(stateDir, 'lastDelivered');
    const good = await readFile(file, 'utf8');
    for (const bad of [
      '{"format":"appwacht-last-report","deliveredAt":"2026-01-01T00:00:00Z","payload":"{trunc',
      'garbage',
      '[]',
    ]) {
      await writeFile(file, bad);
      const answer = await lastReport();
      assert.equal(answer.report, null);
      assert.equal(answer.unknown, 'unreadable', bad);
      assert.deepEqual(buildLastReport(answer), {
        report: null,
        notShown: 'unreadable',
        deliveredAt: answer.deliveredAt,
        queue: { count: 0, oldestAt: null },
      });
      assert.deepEqual((await state()).ladder?.view, LADDER);
      assert.equal(await readFile(file, 'utf8'), bad, 'the file is left as it was, for inspection');
    }
    await writeFile(file, good);
    assert.ok((await lastReport()).report);
  });

  it('an oversized payload file is not read: "not known, too large"; a corrupt ladder file: ladder null, payload kept', async () => {
    const file = statePath(stateDir, 'lastDelivered');
    const good = await readFile(file, 'utf8');
    await writeFile(file, 'x'.repeat(3 * MAX_KEPT_PAYLOAD_BYTES));
    assert.equal((await lastReport()).unknown, 'too-large');
    await writeFile(file, good);

    const ladderFile = statePath(stateDir, 'ladder');
    const goodLadder = await readFile(ladderFile, 'utf8');
    await writeFile(ladderFile, JSON.stringify({ format: 'appwacht-ladder', receivedAt: 'x', view: { step: 'gone' } }));
    assert.equal((await state()).ladder, null);
    assert.ok((await lastReport()).report, 'the payload is still served');
    // A ladder the agent's shape check lets through but the protocol does not know: the app leaves it out.
    await writeFile(
      ladderFile,
      JSON.stringify({
        format: 'appwacht-ladder',
        receivedAt: new Date().toISOString(),
        view: { step: 'blocked', reason: 'new' },
      }),
    );
    const s = await state();
    assert.equal(s.ladder?.view.step, 'blocked');
    const app = buildAppState({
      state: s,
      mode: 'machine',
      lang: 'de',
      os: 'linux',
      now: new Date(),
      appVersion: '0.1.0',
      check: { running: false, notBefore: null },
      hostFacts: null,
    });
    assert.equal(app.ladder, null);
    await writeFile(ladderFile, goodLadder);
  });

  it('a payload over the bound is not kept, and is said to be too large (the ladder file is not touched)', async () => {
    const other = join(dir, 'other-state');
    await mkdir(other);
    const big = { ...report(), padding: 'p'.repeat(MAX_KEPT_PAYLOAD_BYTES) };
    await keepDelivered(other, big as never, { reportId: big.reportId, stored: true }, new Date());
    const read = await readDelivered(other);
    assert.equal(!read.known && read.reason, 'too-large');
    assert.ok(!read.known && read.deliveredAt, 'when it was delivered is still known');
    assert.equal(await readLadder(other), null, 'no ladder was said');
  });

  it('a state folder that cannot be written does not hold up delivery: the report leaves the outbox, the log says why', async () => {
    const outbox = await Outbox.open({ dir: join(dir, 'outbox-2') });
    await outbox.enqueue(report());
    const log = memoryLogger();
    const api = createApiClient({ serverUrl: server.url, fetch: globalThis.fetch, getToken: () => 'token', timeoutMs: 5000 });
    const reporter = new Reporter({
      outbox,
      deliver: (r) => api.postReport(r),
      onUnauthorized: async () => false,
      keepIn: join(dir, 'no-such-folder'),
      log,
    });
    assert.deepEqual(await reporter.drain(new AbortController().signal), { outcome: 'empty' });
    assert.equal(outbox.size, 0);
    assert.ok(log.lines.some((l) => /could not be kept/.test(JSON.stringify(l))));
  });

  it('refuses anything but the read-only messages, and a too long line ends the connection', async () => {
    const refused = await conn.request({ type: 'write-last-report', report: {} });
    assert.equal(refused.type, 'error');
    const other = await connectTray(join(dir, 'channel'));
    const answer = await other.raw(JSON.stringify({ type: 'read-last-report', pad: 'x'.repeat(5000) }));
    assert.equal(answer?.type === 'error' && answer.code, 'TOO_LONG');
    other.close();
  });
});

describe('reportVisibleTo: a non-root account sees the payload only when it names nobody else', () => {
  const viewer = { user: 'anna', root: false, ownsProcess: (pid: number) => pid === 100 };
  const withInstall = (install: object, processes: object[] = []) =>
    report({ findings: [{ ...finding('whatsapp'), installs: [install as never], processes: processes as never }] });

  it('shows a clean report, machine-wide installs, its own installs and its own processes', () => {
    assert.ok(reportVisibleTo(report(), viewer));
    assert.ok(reportVisibleTo(withInstall({ source: 'dpkg', scope: 'machine', name: 'wa', matchedBy: 'package' }), viewer));
    assert.ok(
      reportVisibleTo(
        withInstall({ source: 'flatpak', scope: 'user', user: 'anna', name: 'wa', matchedBy: 'flatpakId' }, [
          { pid: 100, name: 'wa' },
        ]),
        viewer,
      ),
    );
  });

  it('withholds it (never cuts it) when it names another account, an install of nobody known, or a foreign process', () => {
    assert.ok(
      !reportVisibleTo(
        withInstall({ source: 'flatpak', scope: 'user', user: 'bert', name: 'wa', matchedBy: 'flatpakId' }),
        viewer,
      ),
    );
    assert.ok(!reportVisibleTo(withInstall({ source: 'flatpak', scope: 'user', name: 'wa', matchedBy: 'flatpakId' }), viewer));
    assert.ok(
      !reportVisibleTo(
        withInstall({ source: 'dpkg', scope: 'machine', name: 'wa', matchedBy: 'package' }, [{ pid: 200, name: 'wa' }]),
        viewer,
      ),
    );
    assert.ok(
      reportVisibleTo(withInstall({ source: 'flatpak', scope: 'user', user: 'bert', name: 'wa', matchedBy: 'flatpakId' }), {
        ...viewer,
        root: true,
      }),
    );
  });
});
