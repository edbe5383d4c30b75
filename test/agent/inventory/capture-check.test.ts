/**
 * A capture read from disk is checked as strictly as ever, although a live scan skips the check (its data comes from
 * our own collect code): every source refuses data of the wrong shape with RAW_INVALID naming the field, and the
 * shapes' defaults are applied to what a capture leaves out.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OsName } from '../../../protocol/index.js';
import { collectRawInventory, parseRawInventory, validateRawInventory } from '../../../agent/inventory/index.js';
import { emptyRoot } from './sources/linux-fixture.js';

/** A capture as it is read back from a file: plain JSON, one source (or the process list) with the given data. */
function capture(os: OsName, sources: Record<string, unknown>, processes?: unknown): unknown {
  return JSON.parse(
    JSON.stringify({
      format: 'appwacht-raw-inventory',
      version: 1,
      os,
      root: '/',
      collectedAt: '2026-01-01T00:00:00.000Z',
      sources: Object.fromEntries(Object.entries(sources).map(([id, data]) => [id, { ok: true, ms: 1, data }])),
      ...(processes !== undefined && { processes: { ok: true, ms: 1, data: processes } }),
    }),
  );
}

async function replay(raw: unknown) {
  return parseRawInventory(await validateRawInventory(raw));
}

// One capture of the wrong shape per source, and the field its message must name.
const bad: Array<[OsName, string, unknown, RegExp]> = [
  ['linux', 'dpkg', { present: true, path: '/var/lib/dpkg/status', text: 42 }, /^dpkg: .* at text: /],
  ['linux', 'rpm', { present: true, dbPath: '/var/lib/rpm' }, /^rpm: .* at output: /],
  ['linux', 'flatpak', { present: true, apps: [{ id: 'org.x.X', scope: 'machine' }] }, /^flatpak: .* at apps\.0\.location: /],
  ['linux', 'snap', { present: true, snaps: [{ instance: 'x', location: 7 }] }, /^snap: .* at snaps\.0\.location: /],
  [
    'linux',
    'appimage',
    { present: true, files: [{ path: '/x', scope: 'machine', type: 7, size: 1 }] },
    /^appimage: .* at files\.0\.type: /,
  ],
  [
    'linux',
    'desktop-entry',
    { present: true, dirs: [{ dir: '/usr/share/applications', scope: 'all', files: [] }] },
    /^desktop-entry: .* at dirs\.0\.scope: /,
  ],
  [
    'windows',
    'registry',
    { elevated: true, whoami: { ok: true, output: '' }, profileList: { ok: true, output: '' }, queries: [{ hive: 'HKXX' }] },
    /^registry: .* at queries\.0\.hive: /,
  ],
  ['windows', 'appx', { elevated: 'yes', whoami: { ok: true, output: '' }, packages: '' }, /^appx: .* at elevated: /],
  ['macos', 'bundles', { bundles: [{ path: '', scope: 'machine' }], problems: [] }, /^bundles: .* at bundles\.0\.path: /],
];

describe('a capture read from disk', () => {
  for (const [os, id, data, field] of bad) {
    it(`refuses ${id} data of the wrong shape (RAW_INVALID, naming the field)`, async () => {
      const inventory = await replay(capture(os, { [id]: data }));
      const report = inventory.sources.find((s) => s.id === id);
      assert.equal(report?.ok, false);
      assert.equal(report.error?.code, 'RAW_INVALID');
      assert.match(report.error.message, field);
    });
  }

  it('refuses an envelope of the wrong shape, naming the field', async () => {
    const raw = capture('linux', {}) as Record<string, unknown>;
    await assert.rejects(validateRawInventory({ ...raw, os: 'beos' }), {
      code: 'RAW_INVALID',
      message: /^not an Appwacht raw inventory: os: /,
    });
    await assert.rejects(validateRawInventory({ ...raw, sources: { dpkg: { ok: true } } }), {
      code: 'RAW_INVALID',
      message: /^not an Appwacht raw inventory: sources\.dpkg\.ms: /,
    });
  });

  it('skips and counts malformed process entries, and refuses a process list that is not a list', async () => {
    const listed = await replay(capture('linux', {}, [{ pid: 1, name: 'init' }, { pid: -1, name: 'x' }, 'nonsense']));
    assert.deepEqual(listed.processes, [{ pid: 1, name: 'init' }]);
    assert.deepEqual(listed.sources.find((s) => s.id === 'processes')?.problems, ['2 malformed process entries were skipped']);
    const notAList = await replay(capture('linux', {}, { pid: 1 }));
    assert.equal(notAList.sources.find((s) => s.id === 'processes')?.error?.code, 'RAW_INVALID');
  });

  it('gets the defaults of what it leaves out (problems, a flatpak’s desktop files, a snap’s file lists)', async () => {
    const inventory = await replay(
      capture('linux', {
        flatpak: {
          present: true,
          apps: [
            {
              id: 'org.x.X',
              scope: 'machine',
              location: '/var/lib/flatpak/app/org.x.X',
              metadata: '[Application]\nname=org.x.X\n',
            },
          ],
        },
        snap: { present: true, snaps: [] },
        appimage: { present: true, files: [] },
      }),
    );
    for (const s of inventory.sources) assert.deepEqual([s.id, s.ok, s.problems], [s.id, true, []]);
    assert.deepEqual(
      inventory.apps.map((a) => [a.source, a.ids.flatpakId]),
      [['flatpak', 'org.x.X']],
    );
  });

  it('names the sources of its own OS only: a Linux capture with a Windows source id has no parser for it', async () => {
    const inventory = await replay(capture('linux', { registry: {} }));
    assert.deepEqual(
      inventory.sources.map((s) => [s.id, s.error?.code]),
      [['registry', 'UNKNOWN_SOURCE']],
    );
  });

  it('is checked even when it is a collected inventory written out and read back', async (t) => {
    const root = await emptyRoot(t);
    const raw = JSON.parse(JSON.stringify(await collectRawInventory({ os: 'linux', root }))) as {
      sources: Record<string, { data?: unknown }>;
    };
    raw.sources.dpkg!.data = { present: true, path: '/var/lib/dpkg/status', text: 42 };
    const inventory = await replay(raw);
    assert.equal(inventory.sources.find((s) => s.id === 'dpkg')?.error?.code, 'RAW_INVALID');
  });
});
