import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Report } from '../../../protocol/index.js';
import {
  ReportBuildError,
  buildReport,
  fingerprint,
  stateChanged,
  stateChanges,
  toSourceStatus,
  type EvaluationSummary,
} from '../../../agent/report/build.js';
import type { SourceReport } from '../../../agent/inventory/index.js';
import { COMPLIANT, evaluation, finding } from '../../helpers/sample-reports.js';

const okSource: SourceReport = { id: 'dpkg', ok: true, ms: 12, count: 1500, problems: ['skipped a broken stanza'] };
const failedSource: SourceReport = {
  id: 'flatpak',
  ok: false,
  ms: 3,
  count: 0,
  error: { code: 'TOOL_MISSING', message: 'flatpak is not installed' },
  problems: [],
};

describe('toSourceStatus()', () => {
  const cases: { name: string; input: SourceReport; expected: unknown }[] = [
    {
      name: 'keeps only id and ok for a readable source (no counts, no contents)',
      input: okSource,
      expected: { id: 'dpkg', ok: true },
    },
    {
      name: 'says why a source failed, code first',
      input: failedSource,
      expected: { id: 'flatpak', ok: false, error: 'TOOL_MISSING: flatpak is not installed' },
    },
    {
      name: 'clips long ids and messages to the protocol limits',
      input: { ...failedSource, id: 'x'.repeat(60), error: { code: 'EXIT', message: 'y'.repeat(500) } },
      expected: { id: 'x'.repeat(40), ok: false, error: `EXIT: ${'y'.repeat(294)}` },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(toSourceStatus(c.input), c.expected));
});

describe('buildReport()', () => {
  const now = new Date('2026-02-10T09:30:00.000Z');
  const base = {
    evaluation: evaluation([finding('whatsapp')]),
    policyVersion: 7,
    agentVersion: '1.2.3',
    sources: [okSource, failedSource],
    kind: 'change' as const,
    now,
  };

  it('builds a protocol-valid report from an evaluation', () => {
    const report = buildReport(base);
    assert.equal(Report.safeParse(report).success, true);
    assert.equal(report.kind, 'change');
    assert.equal(report.scannedAt, '2026-02-10T09:30:00.000Z');
    assert.equal(report.policyVersion, 7);
    assert.equal(report.agentVersion, '1.2.3');
    assert.equal(report.state.status, 'violation');
    assert.deepEqual(
      report.findings.map((f) => f.appId),
      ['whatsapp'],
    );
    assert.deepEqual(report.sources, [
      { id: 'dpkg', ok: true },
      { id: 'flatpak', ok: false, error: 'TOOL_MISSING: flatpak is not installed' },
    ]);
  });

  it('gives every report a fresh uuid, so only retries share an id', () => {
    const ids = new Set(Array.from({ length: 200 }, () => buildReport(base).reportId));
    assert.equal(ids.size, 200);
  });

  it('carries null as policy version in local mode', () => {
    assert.equal(buildReport({ ...base, policyVersion: null, kind: 'heartbeat' }).policyVersion, null);
  });

  it('cuts findings and sources to the protocol caps instead of producing a report the server refuses', () => {
    const many = evaluation(Array.from({ length: 130 }, (_, i) => finding(`app${i}`)));
    const sources = Array.from({ length: 70 }, (_, i) => ({ ...okSource, id: `s${i}` }));
    const report = buildReport({ ...base, evaluation: many, sources });
    assert.equal(report.findings.length, 100);
    assert.equal(report.sources.length, 50);
    assert.equal(report.state.status, 'violation');
  });

  it('refuses what the protocol forbids with a ReportBuildError naming the field', () => {
    assert.throws(
      () => buildReport({ ...base, agentVersion: '' }),
      (err: unknown) => err instanceof ReportBuildError && err.code === 'REPORT_INVALID' && /agentVersion/.test(err.message),
    );
    assert.throws(() => buildReport({ ...base, newId: () => 'not-a-uuid' }), ReportBuildError);
  });
});

describe('stateChanges()', () => {
  const wa = finding('whatsapp');
  const waRunning = finding('whatsapp', { evidence: ['installed', 'running'], processes: [{ pid: 4242, name: 'whatsapp' }] });
  const waOtherPid = finding('whatsapp', { evidence: ['running', 'installed'], processes: [{ pid: 9999, name: 'whatsapp' }] });
  const sc = finding('snapchat');
  const v = (...f: ReturnType<typeof finding>[]) => evaluation(f);

  const cases: { name: string; before: EvaluationSummary | undefined; after: EvaluationSummary; expected: string[] }[] = [
    { name: 'first scan after start is a change', before: undefined, after: COMPLIANT, expected: ['first state'] },
    { name: 'same compliant state: no change', before: COMPLIANT, after: COMPLIANT, expected: [] },
    {
      name: 'compliant → violation',
      before: COMPLIANT,
      after: v(wa),
      expected: ['status compliant → violation', 'deadline - → 2026-03-01T12:00:00.000Z', 'found whatsapp (installed)'],
    },
    {
      name: 'a banned app that starts running',
      before: v(wa),
      after: v(waRunning),
      expected: ['whatsapp installed → installed+running'],
    },
    {
      name: 'a running app under a new pid and evidence order: no change',
      before: v(waRunning),
      after: v(waOtherPid),
      expected: [],
    },
    { name: 'a second banned app appears', before: v(wa), after: v(wa, sc), expected: ['found snapchat (installed)'] },
    { name: 'one of two is removed', before: v(wa, sc), after: v(sc), expected: ['gone whatsapp'] },
    { name: 'finding order does not matter', before: v(wa, sc), after: v(sc, wa), expected: [] },
    {
      name: 'the deadline passes',
      before: v(wa),
      after: evaluation([wa], { pastDeadline: true, daysPastDeadline: 1 }),
      expected: ['deadline passed'],
    },
    {
      name: 'days past deadline ticking up is not a change',
      before: evaluation([wa], { pastDeadline: true, daysPastDeadline: 1 }),
      after: evaluation([wa], { pastDeadline: true, daysPastDeadline: 2 }),
      expected: [],
    },
    {
      name: 'a different version or install path is not a change',
      before: v(wa),
      after: v(
        finding('whatsapp', {
          installs: [{ source: 'snap', scope: 'user', name: 'whatsapp', version: '2.0', matchedBy: 'snapName' }],
        }),
      ),
      expected: [],
    },
    {
      name: 'warning → violation',
      before: v(finding('tiktok', { action: 'warn' })),
      after: v(finding('tiktok', { action: 'warn' }), wa),
      expected: ['status warning → violation', 'found whatsapp (installed)'],
    },
    {
      name: 'violation → compliant',
      before: v(wa),
      after: COMPLIANT,
      expected: ['status violation → compliant', 'deadline 2026-03-01T12:00:00.000Z → -', 'gone whatsapp'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = c.before && fingerprint(c.before);
      const after = fingerprint(c.after);
      assert.deepEqual(stateChanges(before, after), c.expected);
      assert.equal(stateChanged(before, after), c.expected.length > 0);
    });
  }

  it('a fingerprint survives a JSON round trip (the loop persists the last one)', () => {
    const fp = fingerprint(v(waRunning, sc));
    assert.deepEqual(stateChanges(JSON.parse(JSON.stringify(fp)), fp), []);
  });
});
