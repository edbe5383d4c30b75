import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Matcher, MatchedBy, OsName } from '../../../protocol/index.js';
import type { InstalledApp, RunningProcess } from '../../../agent/inventory/types.js';
import { compileMatcher, MatcherError, MatcherSet } from '../../../agent/policy/match.js';

const app = (over: Partial<InstalledApp>): InstalledApp => ({
  name: 'x',
  source: 'registry',
  scope: 'machine',
  ids: {},
  ...over,
});

describe('compileMatcher().matchApp()', () => {
  const cases: [title: string, matcher: Matcher, os: OsName, record: InstalledApp, expected: MatchedBy | undefined][] = [
    [
      'bundle id, any case',
      { bundleIds: ['org.Example.App'] },
      'macos',
      app({ ids: { bundleId: 'ORG.example.app' } }),
      'bundleId',
    ],
    [
      'bundle id is whole, never a prefix',
      { bundleIds: ['org.example.app'] },
      'macos',
      app({ ids: { bundleId: 'org.example.app.helper' } }),
      undefined,
    ],
    ['appx family', { appxFamilies: ['A.B_123'] }, 'windows', app({ ids: { appxFamily: 'a.b_123' } }), 'appxFamily'],
    ['uninstall key', { uninstallKeys: ['{ABC}_is1'] }, 'windows', app({ ids: { uninstallKey: '{abc}_IS1' } }), 'uninstallKey'],
    ['package', { packages: ['foo'] }, 'linux', app({ ids: { packageName: 'foo' } }), 'package'],
    ['package is whole', { packages: ['foo'] }, 'linux', app({ ids: { packageName: 'foobar' } }), undefined],
    [
      'desktop id given without suffix',
      { desktopIds: ['org.foo.Bar'] },
      'linux',
      app({ ids: { desktopId: 'org.foo.Bar.desktop' } }),
      'desktopId',
    ],
    [
      'desktop id without suffix that ends in "desktop"',
      { desktopIds: ['org.telegram.desktop'] },
      'linux',
      app({ ids: { desktopId: 'org.telegram.desktop.desktop' } }),
      'desktopId',
    ],
    [
      'desktop id with suffix',
      { desktopIds: ['org.telegram.desktop.desktop'] },
      'linux',
      app({ ids: { desktopId: 'org.telegram.desktop.desktop' } }),
      'desktopId',
    ],
    [
      'identifiers outrank names',
      { names: [{ pattern: 'Foo' }], packages: ['foo'] },
      'linux',
      app({ name: 'Foo', ids: { packageName: 'foo' } }),
      'package',
    ],
    [
      'bundle id outranks uninstall key',
      { uninstallKeys: ['k'], bundleIds: ['b'] },
      'windows',
      app({ ids: { uninstallKey: 'k', bundleId: 'b' } }),
      'bundleId',
    ],
    ['name anchored: whole name', { names: [{ pattern: 'Signal' }] }, 'linux', app({ name: 'Signal' }), 'name'],
    ['name anchored: no prefix match', { names: [{ pattern: 'Signal' }] }, 'linux', app({ name: 'SignalRGB' }), undefined],
    ['name anchored: no suffix match', { names: [{ pattern: 'Wire' }] }, 'linux', app({ name: 'NetNewsWire' }), undefined],
    [
      'name anchored even with a top-level alternation',
      { names: [{ pattern: 'a|Wire' }] },
      'linux',
      app({ name: 'WireGuard' }),
      undefined,
    ],
    ['name case-insensitive (Unicode)', { names: [{ pattern: 'Élément' }] }, 'linux', app({ name: 'éLÉMENT' }), 'name'],
    ['name trimmed', { names: [{ pattern: 'Viber' }] }, 'windows', app({ name: '  Viber ' }), 'name'],
    ['name limited to its OS', { names: [{ pattern: 'Foo', os: ['macos'] }] }, 'windows', app({ name: 'Foo' }), undefined],
    ['name on its OS', { names: [{ pattern: 'Foo', os: ['macos'] }] }, 'macos', app({ name: 'Foo' }), 'name'],
    [
      'publisher must match',
      { names: [{ pattern: 'LINE', publisher: 'LINE Corporation' }] },
      'windows',
      app({ name: 'LINE', publisher: 'Line 6' }),
      undefined,
    ],
    [
      'publisher matches whole',
      { names: [{ pattern: 'LINE', publisher: 'LINE Corporation' }] },
      'windows',
      app({ name: 'LINE', publisher: 'LINE Corporation' }),
      'name',
    ],
    [
      'publisher rule and no publisher on record',
      { names: [{ pattern: 'LINE', publisher: 'LINE Corporation' }] },
      'windows',
      app({ name: 'LINE' }),
      undefined,
    ],
    [
      'back-reference pattern works (kept out of the combined regex)',
      { names: [{ pattern: '(ab)\\1' }] },
      'linux',
      app({ name: 'abab' }),
      'name',
    ],
    ['named group pattern works', { names: [{ pattern: '(?<x>zz)top' }] }, 'linux', app({ name: 'ZZtop' }), 'name'],
    [
      'overlong name is not run through name rules',
      { names: [{ pattern: 'a+' }] },
      'linux',
      app({ name: 'a'.repeat(600) }),
      undefined,
    ],
    ['empty matcher matches nothing', {}, 'linux', app({ name: 'anything', ids: { packageName: 'anything' } }), undefined],
  ];
  for (const [title, matcher, os, record, expected] of cases) {
    it(title, () => assert.equal(compileMatcher(matcher).matchApp(record, os), expected));
  }
});

describe('compileMatcher().matchProcess()', () => {
  const m = compileMatcher({ processes: ['Telegram.exe', 'Telegram', 'telegram-desktop', 'Signal Beta'] });
  const cases: [OsName, RunningProcess, boolean][] = [
    ['windows', { pid: 1, name: 'TELEGRAM.EXE' }, true],
    ['windows', { pid: 1, name: 'Telegram' }, true],
    ['windows', { pid: 1, name: 'Telegram.exe.bak' }, false],
    ['windows', { pid: 1, name: 'MyTelegram.exe' }, false],
    ['macos', { pid: 1, name: 'telegram' }, true],
    ['macos', { pid: 1, name: 'x', path: '/Applications/Signal Beta.app/Contents/MacOS/Signal Beta' }, true],
    ['linux', { pid: 1, name: 'Telegram' }, true],
    ['linux', { pid: 1, name: 'TELEGRAM' }, false],
    ['linux', { pid: 1, name: 'telegram-deskto' }, true],
    ['linux', { pid: 1, name: 'telegram-deskt' }, false],
    ['linux', { pid: 1, name: 'sh', path: '/usr/bin/telegram-desktop' }, true],
    ['windows', { pid: 1, name: 'x', path: 'C:\\Users\\a\\AppData\\Roaming\\Telegram Desktop\\Telegram.exe' }, true],
  ];
  for (const [os, proc, expected] of cases) {
    it(`${os}: ${proc.name} ${proc.path ?? ''} → ${expected}`, () => assert.equal(m.matchProcess(proc, os), expected));
  }
});

describe('MatcherSet', () => {
  it('reports every matcher that matches one record, each once, in matcher order', () => {
    const set = new MatcherSet([
      { names: [{ pattern: 'Foo' }, { pattern: 'F.o' }] },
      { packages: ['foo'] },
      { names: [{ pattern: 'Bar' }] },
      { names: [{ pattern: 'foo', os: ['linux'] }], packages: ['FOO'] },
    ]);
    const hits = set.matchApp(app({ name: 'Foo', ids: { packageName: 'foo' } }), 'linux');
    assert.deepEqual(
      [...hits].sort((a, b) => a.index - b.index),
      [
        { index: 0, matchedBy: 'name' },
        { index: 1, matchedBy: 'package' },
        { index: 3, matchedBy: 'package' },
      ],
    );
  });

  it('throws a MatcherError with a code for a pattern that does not compile', () => {
    assert.throws(
      () => new MatcherSet([{ names: [{ pattern: '(' }] }]),
      (err: unknown) =>
        err instanceof MatcherError && err.code === 'MATCHER_INVALID' && /matcher 0, name rule 0/.test(err.message),
    );
  });
});
