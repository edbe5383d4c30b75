import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ComplianceState,
  ESSENTIAL_SOURCES,
  Finding,
  type OsName,
  type Policy,
  type PolicyRule,
} from '../../../protocol/index.js';
import type { InstalledApp, RunningProcess } from '../../../agent/inventory/types.js';
import { evaluate, type EvaluationInput } from '../../../agent/policy/evaluate.js';
import { seenAll } from '../../helpers/seen-all.js';

const DEADLINE = '2026-09-15T00:00:00+02:00';
const DEADLINE_MS = Date.parse(DEADLINE);
const DAY = 86_400_000;

function policy(rules: Partial<PolicyRule>[]): Policy {
  return {
    schema: 1,
    version: 1,
    issuedAt: '2026-06-01T00:00:00+02:00',
    organization: { name: 'Test', support: { email: 'it@example.org' } },
    message: { de: 'Bitte entfernen.', en: 'Please remove.' },
    rules: rules.map((r, i) => ({ id: r.id ?? r.app ?? `rule-${i}`, action: 'ban', deadline: DEADLINE, ...r }) as PolicyRule),
    intervals: { scanMinutes: 15, heartbeatMinutes: 60, policyRefreshMinutes: 60 },
    escalation: { reportOnly: false, mailWarningAfterDays: 0, blockAfterDays: 14, staleAfterHours: 72 },
  };
}

/** A complete scan: every essential source of the OS was read (coverage-rule cases are in coverage.test.ts). */
const inv = (os: OsName, apps: InstalledApp[], processes: RunningProcess[] = []): EvaluationInput => ({
  os,
  apps,
  processes,
  sources: seenAll(os),
});
const BEFORE = new Date(DEADLINE_MS - 10 * DAY);

/** Realistic per-OS inventories: one banned app among unrelated ones. */
const WINDOWS_APPS: InstalledApp[] = [
  {
    name: 'Mozilla Firefox (x64 de)',
    version: '128.0',
    publisher: 'Mozilla',
    source: 'registry',
    scope: 'machine',
    ids: { uninstallKey: 'Mozilla Firefox 128.0 (x64 de)' },
  },
  {
    name: '5319275A.WhatsAppDesktop',
    version: '2.2450.6.0',
    source: 'appx',
    scope: 'user',
    user: 'anna',
    ids: { appxName: '5319275A.WhatsAppDesktop', appxFamily: '5319275A.WhatsAppDesktop_cv1g1gvanyjgm' },
    location: 'C:\\Program Files\\WindowsApps\\5319275A.WhatsAppDesktop_2.2450.6.0_x64__cv1g1gvanyjgm',
  },
  {
    name: 'Signal 7.40.0',
    version: '7.40.0',
    publisher: 'Signal Messenger, LLC',
    source: 'registry',
    scope: 'user',
    user: 'anna',
    ids: { uninstallKey: '7d96caee-06e6-597c-9f2f-c7bb2e0948b4' },
  },
  { name: 'SignalRGB', publisher: 'WhirlwindFX', source: 'registry', scope: 'user', ids: { uninstallKey: 'SignalRgb' } },
];
const MACOS_APPS: InstalledApp[] = [
  {
    name: 'Safari',
    source: 'bundle',
    scope: 'machine',
    ids: { bundleId: 'com.apple.Safari' },
    location: '/Applications/Safari.app',
  },
  {
    name: 'LINE',
    version: '9.5.0',
    source: 'bundle',
    scope: 'user',
    user: 'ben',
    ids: { bundleId: 'jp.naver.line.mac' },
    location: '/Users/ben/Applications/LINE.app',
  },
  { name: 'Linear', source: 'bundle', scope: 'machine', ids: { bundleId: 'com.linear' }, location: '/Applications/Linear.app' },
];
const LINUX_APPS: InstalledApp[] = [
  { name: 'bash', version: '5.2.15-2+b7', source: 'dpkg', scope: 'machine', ids: { packageName: 'bash' } },
  {
    name: 'telegram-desktop',
    version: '4.6.5+ds-2+deb12u1',
    source: 'dpkg',
    scope: 'machine',
    ids: { packageName: 'telegram-desktop' },
  },
  {
    name: 'Telegram Desktop',
    source: 'desktop-entry',
    scope: 'machine',
    ids: { desktopId: 'org.telegram.desktop.desktop' },
    location: '/usr/share/applications/org.telegram.desktop.desktop',
  },
  { name: 'wireguard', version: '1.0.20210914-1', source: 'dpkg', scope: 'machine', ids: { packageName: 'wireguard' } },
];

describe('evaluate()', () => {
  const cases: {
    title: string;
    input: EvaluationInput;
    rules: Partial<PolicyRule>[];
    findings: { appId: string; evidence: string[]; installs: number; processes: number }[];
    status: string;
  }[] = [
    {
      title: 'windows: WhatsApp from the Store is a violation; SignalRGB is not Signal',
      input: inv('windows', WINDOWS_APPS, [{ pid: 4242, name: 'WhatsApp.exe', cmd: 'WhatsApp.exe --secret-token=abc' }]),
      rules: [{ app: 'whatsapp' }, { app: 'line' }],
      findings: [{ appId: 'whatsapp', evidence: ['installed', 'running'], installs: 1, processes: 1 }],
      status: 'violation',
    },
    {
      title: 'windows: per-user Signal found through its uninstall key',
      input: inv('windows', WINDOWS_APPS),
      rules: [{ app: 'signal', action: 'warn' }],
      findings: [{ appId: 'signal', evidence: ['installed'], installs: 1, processes: 0 }],
      status: 'warning',
    },
    {
      title: 'macos: LINE in ~/Applications; Linear is not LINE',
      input: inv('macos', MACOS_APPS),
      rules: [{ app: 'line' }, { app: 'whatsapp' }],
      findings: [{ appId: 'line', evidence: ['installed'], installs: 1, processes: 0 }],
      status: 'violation',
    },
    {
      title: 'linux: telegram-desktop seen by dpkg and by its .desktop entry: one finding, two installs',
      input: inv('linux', LINUX_APPS),
      rules: [{ app: 'telegram' }],
      findings: [{ appId: 'telegram', evidence: ['installed'], installs: 2, processes: 0 }],
      status: 'violation',
    },
    {
      title: 'linux: running only (portable build, nothing installed)',
      input: inv('linux', [], [{ pid: 77, name: 'Telegram', path: '/home/c/Downloads/Telegram/Telegram' }]),
      rules: [{ app: 'telegram' }],
      findings: [{ appId: 'telegram', evidence: ['running'], installs: 0, processes: 1 }],
      status: 'violation',
    },
    {
      title: 'nothing the policy asks about: compliant',
      input: inv('linux', LINUX_APPS),
      rules: [{ app: 'whatsapp' }, { app: 'kik' }],
      findings: [],
      status: 'compliant',
    },
    {
      title: 'custom rule with its own matcher',
      input: inv('linux', LINUX_APPS),
      rules: [{ id: 'no-wireguard', custom: { name: 'WireGuard', match: { packages: ['wireguard'] } }, action: 'warn' }],
      findings: [{ appId: 'no-wireguard', evidence: ['installed'], installs: 1, processes: 0 }],
      status: 'warning',
    },
    {
      title: 'ban and warn together: violation wins',
      input: inv('linux', LINUX_APPS),
      rules: [
        { id: 'wg', custom: { name: 'WireGuard', match: { packages: ['wireguard'] } }, action: 'warn' },
        { app: 'telegram', action: 'ban' },
      ],
      findings: [
        { appId: 'wg', evidence: ['installed'], installs: 1, processes: 0 },
        { appId: 'telegram', evidence: ['installed'], installs: 2, processes: 0 },
      ],
      status: 'violation',
    },
    {
      title: 'two rules on the same app both report it',
      input: inv('linux', LINUX_APPS),
      rules: [
        { id: 'tg-catalog', app: 'telegram' },
        { id: 'tg-custom', custom: { name: 'TG', match: { desktopIds: ['org.telegram.desktop'] } } },
      ],
      findings: [
        { appId: 'telegram', evidence: ['installed'], installs: 2, processes: 0 },
        { appId: 'tg-custom', evidence: ['installed'], installs: 1, processes: 0 },
      ],
      status: 'violation',
    },
  ];

  for (const c of cases) {
    it(c.title, () => {
      const result = evaluate(c.input, policy(c.rules), BEFORE);
      assert.equal(result.state.status, c.status);
      assert.deepEqual(
        result.findings.map((f) => ({
          appId: f.appId,
          evidence: f.evidence,
          installs: f.installs.length,
          processes: f.processes.length,
        })),
        c.findings,
      );
      for (const f of result.findings)
        assert.ok(Finding.safeParse(f).success, JSON.stringify(Finding.safeParse(f).error?.issues));
      assert.ok(ComplianceState.safeParse(result.state).success);
    });
  }

  it('carries only the matched records: nothing about other apps, no command lines', () => {
    const result = evaluate(
      inv('windows', WINDOWS_APPS, [
        { pid: 4242, name: 'WhatsApp.exe', cmd: 'WhatsApp.exe --secret-token=abc' },
        { pid: 1, name: 'firefox.exe' },
      ]),
      policy([{ app: 'whatsapp' }]),
      BEFORE,
    );
    const text = JSON.stringify(result);
    for (const other of ['Firefox', 'firefox', 'SignalRGB', 'Signal 7', 'secret-token']) assert.ok(!text.includes(other), other);
    assert.deepEqual(result.findings[0]!.processes, [{ pid: 4242, name: 'WhatsApp.exe' }]);
    assert.deepEqual(result.findings[0]!.installs[0], {
      source: 'appx',
      scope: 'user',
      name: '5319275A.WhatsAppDesktop',
      version: '2.2450.6.0',
      location: 'C:\\Program Files\\WindowsApps\\5319275A.WhatsAppDesktop_2.2450.6.0_x64__cv1g1gvanyjgm',
      user: 'anna',
      matchedBy: 'appxName',
    });
  });

  it('lists an identical install seen twice (HKLM and WOW6432Node) once', () => {
    const rec: InstalledApp = {
      name: 'Viber',
      version: '28.10',
      publisher: 'Rakuten',
      source: 'registry',
      scope: 'machine',
      ids: { uninstallKey: '{D250B48D}' },
    };
    const result = evaluate(inv('windows', [rec, { ...rec }]), policy([{ app: 'viber' }]), BEFORE);
    assert.equal(result.findings[0]!.installs.length, 1);
  });

  it('caps evidence lists at the protocol limit of 50', () => {
    const apps = Array.from({ length: 80 }, (_, i): InstalledApp => ({
      name: 'Telegram Desktop',
      source: 'desktop-entry',
      scope: 'user',
      user: `u${i}`,
      ids: {},
    }));
    const procs = Array.from({ length: 80 }, (_, i): RunningProcess => ({ pid: 1000 + i, name: 'telegram-desktop' }));
    const result = evaluate(inv('linux', apps, procs), policy([{ app: 'telegram' }]), BEFORE);
    assert.equal(result.findings[0]!.installs.length, 50);
    assert.equal(result.findings[0]!.processes.length, 50);
    assert.ok(Finding.safeParse(result.findings[0]).success);
  });

  it('cuts overlong fields to the protocol limits instead of producing an invalid report', () => {
    const rec: InstalledApp = {
      name: 'Telegram Desktop',
      version: '9'.repeat(500),
      source: 'desktop-entry',
      scope: 'user',
      ids: {},
      location: '/x'.repeat(900),
    };
    const f = evaluate(inv('linux', [rec]), policy([{ app: 'telegram' }]), BEFORE).findings[0]!;
    assert.equal(f.installs[0]!.version!.length, 100);
    assert.equal(f.installs[0]!.location!.length, 1000);
    assert.ok(Finding.safeParse(f).success);
  });

  it('names rules for apps the catalog does not know, and leaves them out of the state', () => {
    const result = evaluate(
      inv('linux', LINUX_APPS),
      policy([{ app: 'tiktok' }, { id: 'tiktok-2', app: 'tiktok' }, { app: 'telegram' }]),
      BEFORE,
    );
    assert.deepEqual(result.unknownApps, ['tiktok']);
    assert.deepEqual(
      result.findings.map((f) => f.ruleId),
      ['telegram'],
    );
    const onlyUnknown = evaluate(inv('linux', LINUX_APPS), policy([{ app: 'tiktok' }]), BEFORE);
    assert.equal(onlyUnknown.state.status, 'compliant');
    assert.deepEqual(onlyUnknown.unknownApps, ['tiktok']);
  });

  it('uses the inventory OS for name rules: a Windows-only rule does not fire on Linux', () => {
    const custom = { id: 'x', custom: { name: 'Foo', match: { names: [{ pattern: 'Foo', os: ['windows' as const] }] } } };
    const rec: InstalledApp = { name: 'Foo', source: 'desktop-entry', scope: 'user', ids: {} };
    assert.equal(evaluate(inv('linux', [rec]), policy([custom]), BEFORE).findings.length, 0);
    assert.equal(evaluate(inv('windows', [{ ...rec, source: 'registry' }]), policy([custom]), BEFORE).findings.length, 1);
  });
});

describe('evaluate() deadline', () => {
  const found = inv('linux', LINUX_APPS);
  const cases: [title: string, now: number, past: boolean, days: number][] = [
    ['ten days before', DEADLINE_MS - 10 * DAY, false, 0],
    ['one millisecond before', DEADLINE_MS - 1, false, 0],
    ['exactly at the deadline: reached, 0 days', DEADLINE_MS, true, 0],
    ['one millisecond after', DEADLINE_MS + 1, true, 0],
    ['23:59:59.999 after', DEADLINE_MS + DAY - 1, true, 0],
    ['exactly one day after', DEADLINE_MS + DAY, true, 1],
    ['14 days and 5 hours after', DEADLINE_MS + 14 * DAY + 5 * 3_600_000, true, 14],
  ];
  for (const [title, now, past, days] of cases) {
    it(title, () => {
      const { state } = evaluate(found, policy([{ app: 'telegram' }]), new Date(now));
      assert.deepEqual(state, { status: 'violation', deadline: DEADLINE, pastDeadline: past, daysPastDeadline: days });
    });
  }

  it('takes the earliest deadline among the banned apps found, ignoring warn rules and unmatched bans', () => {
    const early = '2026-07-01T00:00:00+02:00';
    const earlier = '2026-06-01T00:00:00Z';
    const { state } = evaluate(
      found,
      policy([
        { id: 'wg', custom: { name: 'WG', match: { packages: ['wireguard'] } }, action: 'warn', deadline: earlier },
        { app: 'whatsapp', deadline: '2026-01-01T00:00:00Z' },
        { app: 'telegram', deadline: DEADLINE },
        { id: 'bash', custom: { name: 'bash', match: { packages: ['bash'] } }, deadline: early },
      ]),
      new Date(Date.parse(early) + 3 * DAY),
    );
    assert.deepEqual(state, { status: 'violation', deadline: early, pastDeadline: true, daysPastDeadline: 3 });
  });

  it('compares deadlines as instants, not as strings with different offsets', () => {
    const a = '2026-09-15T01:00:00+02:00'; // 23:00Z on the 14th
    const b = '2026-09-14T23:30:00Z';
    const { state } = evaluate(
      found,
      policy([
        { id: 'b', custom: { name: 'bash', match: { packages: ['bash'] } }, deadline: b },
        { app: 'telegram', deadline: a },
      ]),
      BEFORE,
    );
    assert.equal(state.deadline, a);
  });

  it('takes the earliest warn deadline when only warnings were found', () => {
    const { state } = evaluate(
      found,
      policy([
        { app: 'telegram', action: 'warn', deadline: '2026-12-01T00:00:00Z' },
        {
          id: 'wg',
          custom: { name: 'WG', match: { packages: ['wireguard'] } },
          action: 'warn',
          deadline: '2026-11-01T00:00:00Z',
        },
      ]),
      new Date('2026-11-03T12:00:00Z'),
    );
    assert.deepEqual(state, { status: 'warning', deadline: '2026-11-01T00:00:00Z', pastDeadline: true, daysPastDeadline: 2 });
  });

  it('has no deadline when compliant', () => {
    assert.deepEqual(evaluate(found, policy([{ app: 'kik' }]), new Date(DEADLINE_MS + 30 * DAY)).state, {
      status: 'compliant',
      pastDeadline: false,
      daysPastDeadline: 0,
    });
  });
});

describe('evaluate() when the scan could not see everything', () => {
  const telegram: InstalledApp = {
    name: 'Telegram Desktop',
    source: 'dpkg',
    scope: 'machine',
    ids: { packageName: 'telegram-desktop' },
  };
  const firefox: InstalledApp = { name: 'Firefox', source: 'dpkg', scope: 'machine', ids: { packageName: 'firefox' } };
  const withFailed = (apps: InstalledApp[], failedId: string): EvaluationInput => ({
    ...inv('linux', apps),
    sources: ESSENTIAL_SOURCES.linux.map((id) => ({ id, ok: id !== failedId, count: id === 'dpkg' ? apps.length : 0 })),
  });
  const gap = [{ code: 'SOURCE_FAILED', source: 'appimage' }];

  it('is unknown, with no deadline, instead of compliant', () => {
    const { state } = evaluate(withFailed([firefox], 'appimage'), policy([{ app: 'telegram' }]), BEFORE);
    assert.deepEqual(state, { status: 'unknown', gaps: gap, pastDeadline: false, daysPastDeadline: 0 });
    assert.ok(ComplianceState.safeParse(state).success);
  });

  it('stays a violation when a banned app turned up in the sources that worked, and names the gap', () => {
    const { state, findings } = evaluate(withFailed([telegram], 'appimage'), policy([{ app: 'telegram' }]), BEFORE);
    assert.equal(state.status, 'violation');
    assert.deepEqual(state.gaps, gap);
    assert.equal(state.deadline, DEADLINE);
    assert.equal(findings.length, 1);
  });

  it('is unknown rather than warning: a banned app may hide in what was not read; the warned app stays listed', () => {
    const result = evaluate(withFailed([telegram], 'appimage'), policy([{ app: 'telegram', action: 'warn' }]), BEFORE);
    assert.equal(result.state.status, 'unknown');
    assert.equal(result.findings[0]?.appId, 'telegram');
  });

  it('is unknown when every source worked but nothing at all was installed', () => {
    const { state } = evaluate(inv('macos', []), policy([{ app: 'telegram' }]), BEFORE);
    assert.deepEqual(state.gaps, [{ code: 'NOTHING_FOUND' }]);
    assert.equal(state.status, 'unknown');
  });
});
