import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDate } from '../../../agent/i18n.js';
import { composeNotification } from '../../../agent/notify/texts.js';
import { COMPLIANT, DEADLINE, evaluation, finding, policy } from '../../helpers/sample-reports.js';

const wa = finding('whatsapp', { name: 'WhatsApp' });
const sc = finding('snapchat', { name: 'Snapchat' });
const deDate = formatDate(DEADLINE, 'de');
const enDate = formatDate(DEADLINE, 'en');

describe('composeNotification()', () => {
  const cases = [
    {
      name: 'one banned app, before the deadline (de)',
      input: { evaluation: evaluation([wa]), lang: 'de' as const, kind: 'change' as const },
      title: 'Nicht erlaubte App auf Ihrem Dienstgerät: WhatsApp',
      body: [
        `Bitte deinstallieren Sie die App bis zum ${deDate}.`,
        'Messenger wie WhatsApp sind auf Dienstgeräten nicht DSGVO-konform.',
        'Fragen? Stadt Musterstadt IT: it-service@musterstadt.example · +49 30 1234-5678',
      ],
      urgency: 'normal',
    },
    {
      name: 'one banned app, before the deadline (en)',
      input: { evaluation: evaluation([wa]), lang: 'en' as const, kind: 'change' as const },
      title: 'App not allowed on your work device: WhatsApp',
      body: [
        `Please uninstall the app by ${enDate}.`,
        'Messengers such as WhatsApp are not GDPR-compliant on work devices.',
        'Questions? Stadt Musterstadt IT: it-service@musterstadt.example · +49 30 1234-5678',
      ],
      urgency: 'normal',
    },
    {
      name: 'running and past the deadline: quit and uninstall now, critical (de)',
      input: {
        evaluation: evaluation([{ ...wa, evidence: ['installed', 'running'] }], { pastDeadline: true, daysPastDeadline: 3 }),
        lang: 'de' as const,
        kind: 'change' as const,
      },
      title: 'Nicht erlaubte App auf Ihrem Dienstgerät: WhatsApp',
      bodyStart: `Die Frist ist am ${deDate} abgelaufen. Bitte beenden und deinstallieren Sie die App sofort.`,
      urgency: 'critical',
    },
    {
      name: 'past the deadline (en)',
      input: {
        evaluation: evaluation([wa], { pastDeadline: true, daysPastDeadline: 1 }),
        lang: 'en' as const,
        kind: 'change' as const,
      },
      title: 'App not allowed on your work device: WhatsApp',
      bodyStart: `The deadline passed on ${enDate}. Please uninstall the app now.`,
      urgency: 'critical',
    },
    {
      name: 'two apps: plural (en reminder)',
      input: { evaluation: evaluation([wa, sc]), lang: 'en' as const, kind: 'reminder' as const },
      title: 'Reminder: WhatsApp and Snapchat are not allowed on your work device',
      bodyStart: `Please uninstall these apps by ${enDate}.`,
      urgency: 'normal',
    },
    {
      name: 'two apps: plural (de reminder)',
      input: { evaluation: evaluation([wa, sc]), lang: 'de' as const, kind: 'reminder' as const },
      title: 'Erinnerung: WhatsApp und Snapchat sind auf Ihrem Dienstgerät nicht erlaubt',
      bodyStart: `Bitte deinstallieren Sie diese Apps bis zum ${deDate}.`,
      urgency: 'normal',
    },
    {
      name: 'five apps: three names and "2 more"',
      input: {
        evaluation: evaluation(['a', 'b', 'c', 'd', 'e'].map((id) => finding(id, { name: id.toUpperCase() }))),
        lang: 'de' as const,
        kind: 'change' as const,
      },
      title: 'Nicht erlaubte App auf Ihrem Dienstgerät: A, B, C und 2 weitere',
      urgency: 'normal',
    },
    {
      name: 'only warned-about apps: a notice, not a ban',
      input: {
        evaluation: evaluation([finding('tiktok', { name: 'TikTok', action: 'warn' })]),
        lang: 'en' as const,
        kind: 'change' as const,
      },
      title: 'Notice: TikTok should not be on your work device',
      urgency: 'normal',
    },
    {
      name: 'resolved (de)',
      input: { evaluation: COMPLIANT, lang: 'de' as const, kind: 'resolved' as const },
      title: 'Danke – keine verbotenen Apps mehr gefunden',
      bodyStart: 'Ihr Dienstgerät erfüllt die Vorgaben wieder.',
      urgency: 'low',
    },
    {
      name: 'resolved (en)',
      input: { evaluation: COMPLIANT, lang: 'en' as const, kind: 'resolved' as const },
      title: 'Thank you – no banned apps found any more',
      bodyStart: 'Your work device meets the rules again.',
      urgency: 'low',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const n = composeNotification({ ...c.input, policy: policy() });
      assert.equal(n.title, c.title);
      assert.equal(n.urgency, c.urgency);
      if (c.body) assert.deepEqual(n.body.split('\n'), c.body);
      if (c.bodyStart) assert.ok(n.body.startsWith(c.bodyStart), n.body);
    });
  }

  it('uses the rule’s own message when the findings share one, and clips long admin texts', () => {
    const p = policy({
      rules: [
        {
          id: 'no-whatsapp',
          app: 'whatsapp',
          action: 'ban',
          deadline: DEADLINE,
          message: { de: 'Nutzen Sie den Stadt-Messenger.', en: 'Use the city messenger.' },
        },
      ],
      message: { de: 'x'.repeat(2000), en: 'y'.repeat(2000) },
    });
    const withRule = composeNotification({ evaluation: evaluation([wa]), policy: p, lang: 'en', kind: 'change' });
    assert.equal(withRule.body.split('\n')[1], 'Use the city messenger.');
    const general = composeNotification({ evaluation: evaluation([sc]), policy: p, lang: 'de', kind: 'change' });
    assert.equal(general.body.split('\n')[1]!.length, 240);
    assert.ok(general.body.split('\n')[1]!.endsWith('…'));
  });

  it('every text exists in German and English and they differ', () => {
    for (const [ev, kind] of [
      [evaluation([wa]), 'change'],
      [evaluation([wa]), 'reminder'],
      [evaluation([finding('tiktok', { action: 'warn' })]), 'change'],
      [COMPLIANT, 'resolved'],
    ] as const) {
      const de = composeNotification({ evaluation: ev, policy: policy(), lang: 'de', kind });
      const en = composeNotification({ evaluation: ev, policy: policy(), lang: 'en', kind });
      assert.notEqual(de.title, en.title);
      assert.notEqual(de.body, en.body);
    }
  });
});

describe('composeNotification() when the device could not be checked', () => {
  const unknown = evaluation([], {
    status: 'unknown',
    gaps: [{ code: 'SOURCE_FAILED', source: 'appx' }],
    pastDeadline: false,
    daysPastDeadline: 0,
  });
  for (const [lang, title, says, gap] of [
    ['de', 'Ihr Dienstgerät konnte nicht geprüft werden', /Sie selbst müssen nichts ändern/, /Microsoft-Store-Apps/],
    ['en', 'Your work device could not be checked', /nothing you need to change/, /Microsoft Store apps/],
  ] as const) {
    it(`says so plainly, what was not readable, and whom to ask (${lang})`, () => {
      const n = composeNotification({ evaluation: unknown, policy: policy(), lang, kind: 'change' });
      assert.equal(n.title, title);
      assert.match(n.body, says);
      assert.match(n.body, gap);
      assert.match(n.body, /it-service@musterstadt\.example/);
      assert.doesNotMatch(n.body, /deinstall|uninstall/i, 'no app to remove');
    });
  }
});
