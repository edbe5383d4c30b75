/** The update client's pure parts (agent/update/): semver order, the installer for this machine, the window, the decision. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpdatePolicy } from '../../../protocol/index.js';
import {
  archOfName,
  decideUpdate,
  inWindow,
  nextWindowStart,
  pickInstaller,
  type UpdateFacts,
} from '../../../agent/update/decide.js';
import { compareSemVer, parseSemVer } from '../../../agent/update/semver.js';
import type { IndexedFile, UpdateIndex } from '../../../agent/update/index-file.js';

describe('compareSemVer()', () => {
  // Each row: a < b. The pre-release rows are semver.org § 11's own example chain.
  const ascending = [
    '0.9.9',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
    '1.1.0',
    '1.10.0',
    '2.0.0',
  ];
  for (let i = 0; i + 1 < ascending.length; i++) {
    const [a, b] = [ascending[i]!, ascending[i + 1]!];
    it(`${a} < ${b}`, () => {
      assert.ok(compareSemVer(parseSemVer(a)!, parseSemVer(b)!) < 0);
      assert.ok(compareSemVer(parseSemVer(b)!, parseSemVer(a)!) > 0);
    });
  }
  it('ignores build metadata and a leading v', () => {
    assert.equal(compareSemVer(parseSemVer('v1.2.3+abc')!, parseSemVer('1.2.3')!), 0);
  });
  for (const bad of ['1.2', '1.2.3.4', '01.2.3', '1.2.3-', '1.2.3-01', 'latest', '', '1.2.3 ', `1.2.3-${'a'.repeat(100)}`])
    it(`refuses ${JSON.stringify(bad.slice(0, 20))}`, () => assert.equal(parseSemVer(bad), undefined));
});

const file = (name: string): IndexedFile => ({ name, sha512: 'A'.repeat(86) + '==', size: 10 });

describe('pickInstaller()', () => {
  const linuxFiles = [file('appwacht_0.2.0_arm64.deb'), file('appwacht_0.2.0_amd64.deb'), file('appwacht-0.2.0-1.x86_64.rpm')];
  for (const [name, files, platform, want] of [
    ['deb for x64', linuxFiles, { arch: 'x64', kinds: ['deb'] }, 'appwacht_0.2.0_amd64.deb'],
    ['deb for arm64', linuxFiles, { arch: 'arm64', kinds: ['deb'] }, 'appwacht_0.2.0_arm64.deb'],
    ['rpm install takes the rpm', linuxFiles, { arch: 'x64', kinds: ['rpm'] }, 'appwacht-0.2.0-1.x86_64.rpm'],
    ['no deb for ia32', linuxFiles, { arch: 'ia32', kinds: ['deb'] }, undefined],
    ['a name without arch fits any', [file('Appwacht-0.2.0.msi')], { arch: 'arm64', kinds: ['msi'] }, 'Appwacht-0.2.0.msi'],
    [
      'the matching arch before a name without one',
      [file('A-0.2.0.msi'), file('A-0.2.0-x64.msi')],
      { arch: 'x64', kinds: ['msi'] },
      'A-0.2.0-x64.msi',
    ],
    ['an NSIS install does not take the MSI', [file('A-0.2.0.msi')], { arch: 'x64', kinds: ['nsis'] }, undefined],
    ['wrong OS: a Windows file in a Linux index', [file('Appwacht-Setup-0.2.0.exe')], { arch: 'x64', kinds: ['deb'] }, undefined],
    ['extension case', [file('Appwacht-0.2.0.PKG')], { arch: 'arm64', kinds: ['pkg'] }, 'Appwacht-0.2.0.PKG'],
  ] as const)
    it(name, () => assert.equal(pickInstaller(files, platform)?.name, want));

  it('reads arch words only as whole parts of the name', () => {
    assert.equal(archOfName('appwacht-0.2.0-1.x86_64.rpm'), 'x64');
    assert.equal(archOfName('max64tool-1.0.0.deb'), undefined);
    assert.equal(archOfName('Appwacht-arm64.pkg'), 'arm64');
  });
});

// Local times, so the table means the same in every time zone the test runs in.
const at = (h: number, m = 0, day = 5) => new Date(2026, 11, day, h, m);

describe('inWindow() and nextWindowStart()', () => {
  const night = { from: '22:00', to: '05:00' };
  const lunch = { from: '12:00', to: '13:30' };
  for (const [w, now, inside, next] of [
    [night, at(23, 30), true, at(22, 0, 6)],
    [night, at(0, 10), true, at(22, 0, 5)],
    [night, at(4, 59), true, at(22, 0, 5)],
    [night, at(5, 0), false, at(22, 0, 5)],
    [night, at(21, 59), false, at(22, 0, 5)],
    [night, at(22, 0), true, at(22, 0, 6)],
    [lunch, at(12, 0), true, at(12, 0, 6)],
    [lunch, at(13, 29), true, at(12, 0, 6)],
    [lunch, at(13, 30), false, at(12, 0, 6)],
    [lunch, at(8, 0), false, at(12, 0, 5)],
  ] as const)
    it(`${w.from}–${w.to} at ${now.toTimeString().slice(0, 5)}: ${inside ? 'inside' : 'outside'}`, () => {
      assert.equal(inWindow(w, now), inside);
      assert.equal(nextWindowStart(w, now), next.getTime());
    });
});

describe('decideUpdate()', () => {
  const settings: UpdatePolicy = {
    enabled: true,
    channel: 'stable',
    checkEveryHours: 6,
    installWindow: { from: '22:00', to: '05:00' },
  };
  const index = (version: string, names = ['appwacht_9.9.9_amd64.deb'], refused: UpdateIndex['refused'] = []): UpdateIndex => ({
    version,
    files: names.map(file),
    refused,
  });
  const base: UpdateFacts = {
    current: '0.2.0',
    settings,
    lastCheck: null,
    platform: { arch: 'x64', kinds: ['deb'] },
    now: at(14, 0),
  };
  const H = 3_600_000;
  const noon = at(14, 0).getTime();
  for (const [name, over, want] of [
    [
      'no updates block: nothing, never checks',
      { settings: undefined },
      { action: 'nothing', reason: 'disabled', nextCheckAt: null },
    ],
    ['disabled', { settings: { ...settings, enabled: false } }, { action: 'nothing', reason: 'disabled', nextCheckAt: null }],
    ['never checked: check', {}, { action: 'check' }],
    [
      'checked 5 h ago (every 6 h): not due',
      { lastCheck: { at: noon - 5 * H, ok: true } },
      { action: 'nothing', reason: 'not-due', nextCheckAt: noon + H },
    ],
    ['checked 6 h ago: check', { lastCheck: { at: noon - 6 * H, ok: true } }, { action: 'check' }],
    ['a failed check is retried after an hour', { lastCheck: { at: noon - H, ok: false } }, { action: 'check' }],
    [
      'a failed check 30 min ago waits',
      { lastCheck: { at: noon - H / 2, ok: false } },
      { action: 'nothing', reason: 'not-due', nextCheckAt: noon + H / 2 },
    ],
    [
      'same version: up to date',
      { index: index('0.2.0') },
      { action: 'nothing', reason: 'up-to-date', nextCheckAt: noon + 6 * H },
    ],
    [
      'lower version: downgrade refused',
      { index: index('0.1.9') },
      { action: 'nothing', reason: 'downgrade', detail: '0.1.9', nextCheckAt: noon + 6 * H },
    ],
    [
      'a pre-release of this version is lower',
      { index: index('0.2.0-rc.1') },
      { action: 'nothing', reason: 'downgrade', detail: '0.2.0-rc.1', nextCheckAt: noon + 6 * H },
    ],
    [
      'a pre-release above it is taken',
      { index: index('0.3.0-beta.1') },
      { action: 'download', version: '0.3.0-beta.1', file: file('appwacht_9.9.9_amd64.deb') },
    ],
    [
      'from a pre-release to its release',
      { current: '0.3.0-rc.2', index: index('0.3.0') },
      { action: 'download', version: '0.3.0', file: file('appwacht_9.9.9_amd64.deb') },
    ],
    [
      'higher version: download (outside the window too)',
      { index: index('0.3.0') },
      { action: 'download', version: '0.3.0', file: file('appwacht_9.9.9_amd64.deb') },
    ],
    [
      'feed version not semver',
      { index: index('latest') },
      { action: 'nothing', reason: 'bad-version', detail: 'the feed\'s version "latest"', nextCheckAt: noon + 6 * H },
    ],
    [
      'own version not semver: never updates',
      { current: 'dev' },
      { action: 'nothing', reason: 'bad-version', detail: 'this agent\'s version "dev"', nextCheckAt: null },
    ],
    [
      'wrong-OS file only',
      { index: index('0.3.0', ['Appwacht-Setup-0.3.0.exe']) },
      {
        action: 'nothing',
        reason: 'no-installer',
        detail: 'wanted .deb for x64; the index lists Appwacht-Setup-0.3.0.exe',
        nextCheckAt: noon + 6 * H,
      },
    ],
    [
      'only a refused entry',
      { index: index('0.3.0', [], [{ url: '../x.deb', reason: 'not a plain file name' }]) },
      {
        action: 'nothing',
        reason: 'no-installer',
        detail: 'wanted .deb for x64; the index lists ../x.deb (not a plain file name)',
        nextCheckAt: noon + 6 * H,
      },
    ],
    [
      'downloaded, outside the window: wait until 22:00',
      { index: index('0.3.0'), downloaded: { version: '0.3.0', name: 'appwacht_9.9.9_amd64.deb' } },
      { action: 'wait-until', at: at(22, 0).getTime(), version: '0.3.0', name: 'appwacht_9.9.9_amd64.deb' },
    ],
    [
      'downloaded, inside the window after midnight: install now',
      { now: at(1, 30), index: index('0.3.0'), downloaded: { version: '0.3.0', name: 'appwacht_9.9.9_amd64.deb' } },
      { action: 'install-now', version: '0.3.0', name: 'appwacht_9.9.9_amd64.deb' },
    ],
    [
      'no window: install at once',
      {
        settings: { ...settings, installWindow: undefined },
        index: index('0.3.0'),
        downloaded: { version: '0.3.0', name: 'appwacht_9.9.9_amd64.deb' },
      },
      { action: 'install-now', version: '0.3.0', name: 'appwacht_9.9.9_amd64.deb' },
    ],
    [
      'a download of an older offer is replaced',
      { index: index('0.4.0'), downloaded: { version: '0.3.0', name: 'appwacht_9.9.9_amd64.deb' } },
      { action: 'download', version: '0.4.0', file: file('appwacht_9.9.9_amd64.deb') },
    ],
    [
      'not due, a download waits, window opens: install without asking the feed',
      { now: at(22, 15), lastCheck: { at: at(21, 0).getTime(), ok: true }, downloaded: { version: '0.3.0', name: 'x.deb' } },
      { action: 'install-now', version: '0.3.0', name: 'x.deb' },
    ],
    [
      'not due, the download is this version already (installed): nothing',
      { lastCheck: { at: noon - H, ok: true }, downloaded: { version: '0.2.0', name: 'x.deb' } },
      { action: 'nothing', reason: 'not-due', nextCheckAt: noon + 5 * H },
    ],
  ] as [string, Partial<UpdateFacts>, unknown][])
    it(name, () => assert.deepEqual(decideUpdate({ ...base, ...over }), want));
});
