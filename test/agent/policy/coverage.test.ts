import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESSENTIAL_SOURCES, type CoverageGap, type OsName } from '../../../protocol/index.js';
import { coverageGaps, type SourceOutcome } from '../../../agent/policy/coverage.js';

const ok = (id: string, count = 5): SourceOutcome => ({ id, ok: true, count });
const failed = (id: string, count = 0): SourceOutcome => ({ id, ok: false, count });
const complete = (os: OsName): SourceOutcome[] => ESSENTIAL_SOURCES[os].map((id) => ok(id));

describe('coverageGaps()', () => {
  const cases: Array<{ name: string; os: OsName; installed?: number; sources: SourceOutcome[]; gaps: CoverageGap[] }> = [
    { name: 'windows, registry and Store read', os: 'windows', sources: complete('windows'), gaps: [] },
    {
      name: 'windows, registry read only in part (HKLM denied) — still a gap',
      os: 'windows',
      sources: [failed('registry', 12), ok('appx')],
      gaps: [{ code: 'SOURCE_FAILED', source: 'registry' }],
    },
    {
      name: 'windows, capture without the Store packages',
      os: 'windows',
      sources: [ok('registry')],
      gaps: [{ code: 'SOURCE_MISSING', source: 'appx' }],
    },
    {
      name: 'windows, processes failed: not essential',
      os: 'windows',
      sources: [...complete('windows'), failed('processes')],
      gaps: [],
    },
    { name: 'macos, bundles read', os: 'macos', sources: complete('macos'), gaps: [] },
    {
      name: 'macos, bundles failed',
      os: 'macos',
      sources: [failed('bundles')],
      gaps: [{ code: 'SOURCE_FAILED', source: 'bundles' }],
    },
    { name: 'linux, every source read', os: 'linux', sources: [...complete('linux'), ok('snap')], gaps: [] },
    {
      name: 'linux, an rpm system (dpkg absent reports ok with nothing)',
      os: 'linux',
      sources: [ok('dpkg', 0), ok('rpm', 900), ok('flatpak', 0), ok('appimage', 0), ok('desktop-entry', 3)],
      gaps: [],
    },
    {
      name: 'linux, snap failed: not essential',
      os: 'linux',
      sources: [...complete('linux'), failed('snap')],
      gaps: [],
    },
    {
      name: 'linux, neither dpkg nor rpm database',
      os: 'linux',
      sources: [ok('dpkg', 0), ok('rpm', 0), ok('flatpak', 2), ok('appimage', 0), ok('desktop-entry', 3)],
      gaps: [{ code: 'NO_PACKAGE_DATABASE' }],
    },
    {
      name: 'two essential sources failed: both named',
      os: 'linux',
      sources: [failed('dpkg'), ok('rpm', 0), ok('flatpak'), failed('appimage'), ok('desktop-entry')],
      gaps: [
        { code: 'SOURCE_FAILED', source: 'dpkg' },
        { code: 'SOURCE_FAILED', source: 'appimage' },
      ],
    },
    { name: 'no source at all', os: 'windows', sources: [], gaps: [{ code: 'NO_SOURCES' }] },
    {
      name: 'every source worked, nothing installed anywhere',
      os: 'macos',
      installed: 0,
      sources: [ok('bundles', 0)],
      gaps: [{ code: 'NOTHING_FOUND' }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(coverageGaps({ os: c.os, installedCount: c.installed ?? 10, sources: c.sources }), c.gaps);
    });
  }

  for (const os of ['windows', 'macos', 'linux'] as const) {
    for (const id of ESSENTIAL_SOURCES[os]) {
      it(`${os}: ${id} failing alone is a gap`, () => {
        const sources = complete(os).map((s) => (s.id === id ? failed(id) : s));
        assert.deepEqual(coverageGaps({ os, installedCount: 10, sources }), [{ code: 'SOURCE_FAILED', source: id }]);
      });
    }
  }
});
