import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceStatus } from '../../../server/db/schema.js';
import { findingsKey, foldState } from '../../../server/repositories/reports.js';
import { finding, validReport } from '../helpers.js';

describe('foldState()', () => {
  const T = 1_000_000;
  const cases: {
    name: string;
    device: { status: DeviceStatus; failing_since: number | null; last_scanned_at: number | null };
    status: DeviceStatus;
    at: number;
    expect: { status?: string; failing_since?: number | null };
  }[] = [
    {
      name: 'first report, compliant',
      device: { status: 'unknown', failing_since: null, last_scanned_at: null },
      status: 'compliant',
      at: T,
      expect: { status: 'compliant', failing_since: null },
    },
    {
      name: 'first report, violation starts the clock',
      device: { status: 'unknown', failing_since: null, last_scanned_at: null },
      status: 'violation',
      at: T,
      expect: { status: 'violation', failing_since: T },
    },
    {
      name: 'compliant → warning starts the clock',
      device: { status: 'compliant', failing_since: null, last_scanned_at: T },
      status: 'warning',
      at: T + 5,
      expect: { failing_since: T + 5 },
    },
    {
      name: 'warning → violation keeps the clock',
      device: { status: 'warning', failing_since: T, last_scanned_at: T },
      status: 'violation',
      at: T + 9,
      expect: { status: 'violation', failing_since: T },
    },
    {
      name: 'violation → compliant stops the clock',
      device: { status: 'violation', failing_since: T, last_scanned_at: T },
      status: 'compliant',
      at: T + 9,
      expect: { failing_since: null },
    },
    {
      name: 'a report received later folds even when its scan time is older (a clock stepped back)',
      device: { status: 'violation', failing_since: T, last_scanned_at: T + 10 },
      status: 'compliant',
      at: T + 9,
      expect: { status: 'compliant', failing_since: null },
    },
    {
      name: 'the same scan time folds (idempotent re-send with new id)',
      device: { status: 'violation', failing_since: T, last_scanned_at: T + 10 },
      status: 'violation',
      at: T + 10,
      expect: { failing_since: T },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const findings = c.status === 'compliant' ? [] : [finding('whatsapp', { action: c.status === 'warning' ? 'warn' : 'ban' })];
      const next = foldState(
        c.device,
        validReport({ findings, state: { status: c.status as 'compliant', pastDeadline: false, daysPastDeadline: 0 } }),
        c.at,
      );
      for (const [k, v] of Object.entries(c.expect)) assert.equal(next[k as keyof typeof next], v, k);
      assert.equal(next.last_scanned_at, c.at);
    });
  }

  it('findingsKey() ignores order and process ids but not evidence', () => {
    const a = validReport({ findings: [finding('whatsapp'), finding('line', { processes: [{ pid: 1, name: 'LINE.exe' }] })] });
    const b = validReport({ findings: [finding('line', { processes: [{ pid: 2, name: 'LINE.exe' }] }), finding('whatsapp')] });
    const c = validReport({ findings: [finding('line', { evidence: ['running', 'installed'] }), finding('whatsapp')] });
    assert.equal(findingsKey(a), findingsKey(b));
    assert.notEqual(findingsKey(a), findingsKey(c));
  });
});
