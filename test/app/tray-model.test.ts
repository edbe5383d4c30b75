import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { factsFromState, unreachableFacts } from '../../app/main/facts.js';
import {
  chooseCondition,
  trayIcon,
  menuModel,
  quitAllowed,
  statusLine,
  tooltip,
  TOOLTIP_MAX,
  TRAY_ICONS,
  type MenuItemModel,
  type TrayFacts,
} from '../../app/main/tray-model.js';
import { CONDITIONS } from '../../app/shared/bridge.js';
import type { StateMessage } from '../../agent/channel/messages.js';

const NOW = Date.parse('2026-09-20T10:00:00Z');
const BASE: TrayFacts = {
  reachable: true,
  mode: 'machine',
  lastCheck: { at: '2026-09-20T09:59:00Z', status: 'compliant', findings: [] },
  policy: { version: 7, organization: 'Stadt Musterstadt', expired: false },
  server: 'https://appwacht.intranet.example',
  deviceId: '3f2a1c9e-0000-4000-8000-000000000001',
  appVersion: '0.1.0',
};
const ban = (name: string, deadline: string) => ({ name, action: 'ban' as const, deadline });
const warn = (name: string) => ({ name, action: 'warn' as const, deadline: '' });
const check = (
  status: 'compliant' | 'warning' | 'violation' | 'unknown',
  findings: { name: string; action: 'ban' | 'warn'; deadline: string }[] = [],
) => ({
  lastCheck: { at: '2026-09-20T09:59:00Z', status, findings },
});

describe('chooseCondition(), trayIcon() and statusLine()', () => {
  const cases: { name: string; facts: Partial<TrayFacts>; condition: string; icon: string; de: string; en: string }[] = [
    { name: 'compliant', facts: {}, condition: 'compliant', icon: 'compliant', de: 'Alles in Ordnung', en: 'All good' },
    {
      name: 'banned app found, deadline ahead',
      facts: check('violation', [ban('WhatsApp', '2026-10-01T00:00:00+02:00')]),
      condition: 'banned',
      icon: 'banned',
      de: 'Nicht erlaubt: WhatsApp – entfernen bis 1. Oktober 2026',
      en: 'Not allowed: WhatsApp – remove by 1 October 2026',
    },
    {
      name: 'banned app found, deadline passed',
      facts: check('violation', [ban('WhatsApp', '2026-09-01T00:00:00+02:00')]),
      condition: 'overdue',
      icon: 'overdue',
      de: 'Frist abgelaufen: WhatsApp',
      en: 'Deadline passed: WhatsApp',
    },
    {
      name: 'deadline ahead on the device, but the server says blocked',
      facts: { ...check('violation', [ban('Telegram', '2026-10-01T00:00:00+02:00')]), ladder: { step: 'blocked' } },
      condition: 'blocked',
      icon: 'overdue',
      de: 'E-Mail-Abgleich gesperrt: Telegram',
      en: 'Mail sync blocked: Telegram',
    },
    {
      name: 'the earliest deadline of several banned apps decides; names bounded to two',
      facts: check('violation', [
        ban('Signal', '2026-12-01T00:00:00+01:00'),
        ban('WhatsApp', '2026-09-01T00:00:00+02:00'),
        ban('Kik', '2026-12-01T00:00:00+01:00'),
      ]),
      condition: 'overdue',
      icon: 'overdue',
      de: 'Frist abgelaufen: Signal, WhatsApp +1',
      en: 'Deadline passed: Signal, WhatsApp +1',
    },
    {
      name: 'warning-only app',
      facts: check('warning', [warn('Discord')]),
      condition: 'warning',
      icon: 'warning',
      de: 'Hinweis: Discord',
      en: 'Notice: Discord',
    },
    {
      name: 'a banned app wins over a warned one',
      facts: check('violation', [warn('Discord'), ban('WhatsApp', '2026-10-01T00:00:00+02:00')]),
      condition: 'banned',
      icon: 'banned',
      de: 'Nicht erlaubt: WhatsApp – entfernen bis 1. Oktober 2026',
      en: 'Not allowed: WhatsApp – remove by 1 October 2026',
    },
    {
      name: 'not checked yet',
      facts: { lastCheck: null },
      condition: 'unchecked',
      icon: 'unknown',
      de: 'Noch nicht geprüft',
      en: 'Not checked yet',
    },
    {
      name: 'machine agent not reachable (even with an old check at hand)',
      facts: { reachable: false },
      condition: 'offline',
      icon: 'unknown',
      de: 'Appwacht-Dienst nicht erreichbar',
      en: 'Appwacht service not reachable',
    },
    {
      name: 'policy expired',
      facts: { policy: { version: 7, organization: 'X', expired: true } },
      condition: 'policy-problem',
      icon: 'unknown',
      de: 'Richtlinie fehlt oder ist abgelaufen',
      en: 'Policy missing or expired',
    },
    {
      name: 'no policy',
      facts: { policy: null },
      condition: 'policy-problem',
      icon: 'unknown',
      de: 'Richtlinie fehlt oder ist abgelaufen',
      en: 'Policy missing or expired',
    },
    {
      name: 'an expired policy does not hide a found app (the last good one is still enforced)',
      facts: {
        ...check('violation', [ban('WhatsApp', '2026-10-01T00:00:00+02:00')]),
        policy: { version: 7, organization: 'X', expired: true },
      },
      condition: 'banned',
      icon: 'banned',
      de: 'Nicht erlaubt: WhatsApp – entfernen bis 1. Oktober 2026',
      en: 'Not allowed: WhatsApp – remove by 1 October 2026',
    },
    {
      name: 'unknown coverage (an essential source could not be read)',
      facts: check('unknown'),
      condition: 'incomplete',
      icon: 'unknown',
      de: 'Gerät konnte nicht vollständig geprüft werden',
      en: 'Device could not be checked fully',
    },
    {
      name: 'hostile app name: control and bidi characters are flattened, length bounded',
      facts: check('warning', [warn('Evil\u202e\nApp<script>' + 'x'.repeat(100))]),
      condition: 'warning',
      icon: 'warning',
      de: `Hinweis: Evil App<script>${'x'.repeat(23)}…`,
      en: `Notice: Evil App<script>${'x'.repeat(23)}…`,
    },
  ];
  it('every condition of the bridge has a glyph and a line in both languages', () => {
    for (const condition of CONDITIONS)
      for (const lang of ['de', 'en'] as const) {
        assert.ok(TRAY_ICONS.includes(trayIcon(condition)));
        assert.ok(statusLine({ condition, apps: ['X'] }, lang).length > 3, `${condition} ${lang}`);
      }
  });
  for (const c of cases)
    it(c.name, () => {
      const choice = chooseCondition({ ...BASE, ...c.facts }, NOW);
      assert.equal(choice.condition, c.condition);
      assert.equal(trayIcon(choice.condition), c.icon);
      assert.equal(statusLine(choice, 'de'), c.de);
      assert.equal(statusLine(choice, 'en'), c.en);
      assert.equal(tooltip(choice, 'en'), `Appwacht – ${c.en}`);
    });

  it('keeps the tooltip within what Windows shows (127 characters)', () => {
    const choice = {
      condition: 'banned' as const,
      apps: ['A'.repeat(60), 'B'.repeat(60), 'C'],
      deadline: '2026-10-01T00:00:00+02:00',
    };
    for (const lang of ['de', 'en'] as const) {
      const t = tooltip(choice, lang);
      assert.ok(t.length <= TOOLTIP_MAX, `${lang}: ${t.length}`);
      assert.ok(t.endsWith('…'));
    }
  });
});

const labels = (items: MenuItemModel[]): string[] =>
  items.flatMap((i) =>
    i.kind === 'separator' ? ['—'] : i.kind === 'submenu' ? [i.label, ...labels(i.items).map((l) => `  ${l}`)] : [i.label],
  );

describe('menuModel()', () => {
  const choice = chooseCondition(BASE, NOW);
  it('lists status, Check now, Open status, What is reported, language, About, Quit (German)', () => {
    assert.deepEqual(labels(menuModel(BASE, choice, { lang: 'de', quitAllowed: true, checking: false })), [
      'Alles in Ordnung',
      '—',
      'Jetzt prüfen',
      'Status öffnen …',
      'Was wird gemeldet …',
      '—',
      'Sprache',
      '  Deutsch',
      '  English',
      'Über Appwacht',
      '  Version: 0.1.0',
      '  Betrieb: Dienst des Geräts',
      '  Richtlinie: v7 – Stadt Musterstadt',
      '  Server: https://appwacht.intranet.example',
      '  Geräte-ID: 3f2a1c9e-0000-4000-8000-000000000001',
      '—',
      'Beenden',
    ]);
  });
  it('the same in English, per-user mode, local, not enrolled, without Quit', () => {
    const f = { ...BASE, mode: 'user' as const, server: null, deviceId: null, policy: null };
    assert.deepEqual(labels(menuModel(f, chooseCondition(f, NOW), { lang: 'en', quitAllowed: false, checking: false })), [
      'Policy missing or expired',
      '—',
      'Check now',
      'Open status…',
      'What is reported…',
      '—',
      'Language',
      '  Deutsch',
      '  English',
      'About Appwacht',
      '  Version: 0.1.0',
      '  Runs as: in this app (per user)',
      '  Policy: none',
      '  Server: none (local)',
      '  Device ID: not enrolled',
    ]);
  });
  it('checks the radio of the language in use', () => {
    for (const lang of ['de', 'en'] as const) {
      const sub = menuModel(BASE, choice, { lang, quitAllowed: false, checking: false }).find(
        (i) => i.kind === 'submenu' && i.id === 'language',
      );
      assert.ok(sub?.kind === 'submenu');
      assert.deepEqual(
        sub.items.map((i) => i.kind === 'radio' && i.checked),
        [lang === 'de', lang === 'en'],
      );
    }
  });
  it('greys Check now while a check runs and while the agent cannot be reached', () => {
    const checkNow = (f: TrayFacts, checking: boolean) =>
      menuModel(f, chooseCondition(f, NOW), { lang: 'en', quitAllowed: false, checking }).find(
        (i) => i.kind === 'action' && i.id === 'check-now',
      );
    assert.deepEqual(checkNow(BASE, false), { kind: 'action', id: 'check-now', label: 'Check now', enabled: true });
    assert.deepEqual(checkNow(BASE, true), { kind: 'action', id: 'check-now', label: 'Checking …', enabled: false });
    assert.equal((checkNow(unreachableFacts('0.1.0'), false) as { enabled: boolean }).enabled, false);
  });
});

describe('quitAllowed()', () => {
  const table: [TrayFacts['mode'], boolean, boolean][] = [
    ['machine', false, true], // the service reports on; the tray is only a view
    ['machine', true, true],
    ['user', false, false], // the app hosts the agent: quitting would stop reporting
    ['user', true, true], // IT allowed it (managed setting)
  ];
  for (const [mode, managed, expected] of table)
    it(`${mode} mode, managed AllowQuit=${managed} → ${expected}`, () => assert.equal(quitAllowed(mode, managed), expected));
});

describe('facts from the hosts', () => {
  it('takes the machine agent’s tray-channel answer', () => {
    const s: StateMessage = {
      type: 'state',
      user: 'anna',
      agentMode: 'machine',
      agent: { running: true, pid: 1, version: '0.1.0', startedAt: null },
      enrolled: true,
      server: 'https://s.example',
      deviceId: 'd-1',
      policy: { version: 3, origin: 'server', expired: false, expiresAt: null, organization: 'Org' },
      lastCheck: {
        at: '2026-09-20T09:00:00Z',
        status: 'violation',
        findings: [
          {
            appId: 'whatsapp',
            name: 'WhatsApp',
            action: 'ban',
            deadline: '2026-10-01T00:00:00+02:00',
            evidence: ['installed'],
            installs: [],
            processes: [],
          },
        ],
      },
      lastReport: null,
    };
    const f = factsFromState(s, '9.9.9');
    assert.equal(chooseCondition(f, NOW).condition, 'banned');
    assert.equal(f.server, 'https://s.example');
    assert.equal(f.deviceId, 'd-1');
    assert.equal(chooseCondition(factsFromState({ ...s, agent: { ...s.agent, running: false } }, '9'), NOW).condition, 'offline');
  });
});
