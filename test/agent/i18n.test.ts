import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectLang, formatDate, formatDateTime } from '../../agent/i18n.js';

describe('detectLang()', () => {
  const cases: [string, string | undefined, NodeJS.ProcessEnv, NodeJS.Platform, 'de' | 'en'][] = [
    ['an explicit choice wins', 'en', { LANG: 'de_DE.UTF-8' }, 'linux', 'en'],
    ['LC_ALL before LANG', undefined, { LC_ALL: 'de_AT.UTF-8', LANG: 'en_US.UTF-8' }, 'linux', 'de'],
    ['LC_MESSAGES before LANG', undefined, { LC_MESSAGES: 'en_GB.UTF-8', LANG: 'de_DE.UTF-8' }, 'linux', 'en'],
    ['C and POSIX say nothing', undefined, { LC_ALL: 'C', LC_MESSAGES: 'POSIX', LANG: 'de_CH.UTF-8' }, 'linux', 'de'],
    ['Linux without a locale: English, without asking Intl', undefined, { LANG: 'C.UTF-8' }, 'linux', 'en'],
  ];
  for (const [name, explicit, env, platform, expected] of cases)
    it(name, () => assert.equal(detectLang(explicit, env, platform), expected));

  it('asks Intl where the session sets no variables (Windows, macOS)', () => {
    const original = Intl.DateTimeFormat;
    let asked = 0;
    // Only resolvedOptions().locale is read.
    (Intl as { DateTimeFormat: unknown }).DateTimeFormat = () => {
      asked++;
      return { resolvedOptions: () => ({ locale: 'de-DE' }) };
    };
    try {
      assert.equal(detectLang(undefined, {}, 'win32'), 'de');
      assert.equal(asked, 1);
      assert.equal(detectLang(undefined, {}, 'linux'), 'en');
      assert.equal(asked, 1, 'not on Linux: ICU reads the same variables there');
    } finally {
      (Intl as { DateTimeFormat: unknown }).DateTimeFormat = original;
    }
  });
});

describe('formatDateTime()', () => {
  it('writes what Intl writes in the medium style (de-DE, en-GB), every month, with and without seconds', () => {
    for (let month = 0; month < 12; month++)
      for (const [day, hour] of [
        [1, 0],
        [9, 7],
        [28, 23],
      ] as const) {
        const at = new Date(2026, month, day, hour, 3, 9);
        for (const lang of ['de', 'en'] as const) {
          const locale = lang === 'de' ? 'de-DE' : 'en-GB';
          assert.equal(formatDateTime(at, lang), at.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'medium' }));
          assert.equal(formatDateTime(at, lang, false), at.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' }));
        }
      }
  });

  it('takes ISO strings and epoch numbers too, and shows a time that does not parse as written', () => {
    const at = new Date(2026, 10, 20, 17, 0, 0);
    assert.equal(formatDateTime(at.toISOString(), 'de'), formatDateTime(at, 'de'));
    assert.equal(formatDateTime(at.getTime(), 'en'), formatDateTime(at, 'en'));
    assert.equal(formatDateTime('yesterday-ish', 'en'), 'yesterday-ish');
  });
});

describe('formatDate()', () => {
  it('writes what Intl writes in the long style (de-DE, en-GB), every month, in the offset the deadline is written in', () => {
    for (let month = 0; month < 12; month++)
      for (const day of [1, 9, 28])
        for (const offset of ['+02:00', '+01:00', '-05:00', 'Z', '+14:00']) {
          const iso = `2026-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}T00:00:00${offset}`;
          const wall = new Date(Date.UTC(2026, month, day)); // the date as written, whatever the offset
          for (const lang of ['de', 'en'] as const) {
            const locale = lang === 'de' ? 'de-DE' : 'en-GB';
            assert.equal(formatDate(iso, lang), wall.toLocaleDateString(locale, { dateStyle: 'long', timeZone: 'UTC' }), iso);
          }
        }
    assert.equal(formatDate('2026-09-15T00:00:00+02:00', 'de'), '15. September 2026');
    assert.equal(formatDate('2026-03-01T00:00:00+01:00', 'de'), '1. März 2026');
    assert.equal(formatDate('2026-09-15T23:30:00-02:00', 'en'), '15 September 2026');
  });

  it('shows a date that does not parse as written', () => {
    assert.equal(formatDate('sometime in spring', 'de'), 'sometime in spring');
  });

  it('does not use Intl (whose first use maps ICU data: 8.5 MiB in the turn that notifies)', () => {
    const original = Intl.DateTimeFormat;
    (Intl as { DateTimeFormat: unknown }).DateTimeFormat = () => {
      throw new Error('Intl.DateTimeFormat used');
    };
    try {
      assert.equal(formatDate('2026-09-15T00:00:00+02:00', 'en'), '15 September 2026');
      assert.equal(formatDateTime(new Date(2026, 8, 15, 8, 0, 0), 'de'), '15.09.2026, 08:00:00');
    } finally {
      (Intl as { DateTimeFormat: unknown }).DateTimeFormat = original;
    }
  });
});
