import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { parseRawInventory, validateRawInventory } from '../../../agent/inventory/index.js';
import type { InstalledApp, Inventory } from '../../../agent/inventory/index.js';
import { ANNA_SID, buildRawInventory, FIXTURES } from './fake-windows.js';

// Replays the Windows capture test/fixtures/windows/raw-inventory.json (an elevated agent running as SYSTEM on a
// machine with two logged-on users) through the same entry point `appwacht scan --from` uses.

type Expect = { source: InstalledApp['source']; scope: InstalledApp['scope']; user?: string; name: string; version?: string };

/** Identifier → what must be found for it. Keys are uninstall key names (registry) or package families (appx). */
const MUST_FIND: Array<[string, Expect]> = [
  // Per-user installs that only an agent reading HKU sees
  [
    '{53F49750-6209-4FBF-9CA8-7A333C87D1ED}_is1',
    { source: 'registry', scope: 'user', user: 'anna', name: 'Telegram Desktop', version: '5.10.0' },
  ],
  [
    '7d96caee-06e6-597c-9f2f-c7bb2e0948b4',
    { source: 'registry', scope: 'user', user: 'anna', name: 'Signal 7.46.1', version: '7.46.1' },
  ],
  ['Discord', { source: 'registry', scope: 'user', user: 'anna', name: 'Discord', version: '1.0.9194' }],
  ['LINE', { source: 'registry', scope: 'user', user: 'anna', name: 'LINE', version: '9.4.0.3476' }],
  ['ZoomUMX', { source: 'registry', scope: 'user', user: 'anna', name: 'Zoom', version: '5.13.7 (12602)' }],
  ['WhatsApp', { source: 'registry', scope: 'user', user: 'ben.KOMMUNE', name: 'WhatsApp', version: '2.2326.10' }],
  // Machine-wide
  ['{BE9B79EE-D5FA-4427-A8EB-8A2490B1896A}', { source: 'registry', scope: 'machine', name: 'Viber', version: '24.9.2.0' }],
  ['Weixin', { source: 'registry', scope: 'machine', name: '??', version: '4.0.1.21' }],
  // Store packages
  [
    '5319275A.WhatsAppDesktop_cv1g1gvanyjgm',
    { source: 'appx', scope: 'user', user: 'anna', name: '5319275A.WhatsAppDesktop', version: '2.2450.6.0' },
  ],
  [
    'TelegramMessengerLLP.TelegramDesktop_t4vj0pshhgkwm',
    { source: 'appx', scope: 'user', user: 'ben', name: 'TelegramMessengerLLP.TelegramDesktop', version: '5.10.0.0' },
  ],
  [
    'FACEBOOK.317180B0BB486_8xx8rvfyw5nnt',
    { source: 'appx', scope: 'user', user: 'anna', name: 'FACEBOOK.317180B0BB486', version: '2150.23.211.0' },
  ],
];

/** Look-alikes and ordinary software: present as records (the catalog must tell them apart), with these names. */
const LOOK_ALIKES: Array<[string, string]> = [
  ['SignalRgb', 'SignalRGB'],
  ['{C1D6F3A2-4B7E-4E0C-9A58-2F3B6D7E8A90}', 'Signal Hound Spike'],
  ['{5D46ED04-DEA2-47D0-A957-F82C3EF577FE}', 'WireGuard'],
  ['Wireshark', 'Wireshark 4.2.5 x64'],
  ['TeamViewer', 'TeamViewer'],
  ['SkypeforBusinessEntryRetail - de-de', 'Skype for Business Basic 2016 - de-de'],
  ['{731F6BAA-A986-45A4-8936-7C3AAAAA760B}', 'Teams Machine-Wide Installer'],
  ['MSTeams_8wekyb3d8bbwe', 'MSTeams'],
  ['Microsoft.SkypeApp_kzf8qxf38zg5c', 'Microsoft.SkypeApp'],
  ['Microsoft.WindowsCalculator_8wekyb3d8bbwe', 'Microsoft.WindowsCalculator'],
];

const idOf = (a: InstalledApp) => a.ids.uninstallKey ?? a.ids.appxFamily;

describe('Windows raw inventory replayed through parseRawInventory()', () => {
  let raw: unknown;
  let inventory: Inventory;
  before(async () => {
    raw = JSON.parse(readFileSync(FIXTURES + 'raw-inventory.json', 'utf8'));
    inventory = await parseRawInventory(await validateRawInventory(raw));
  });

  it('is what the collectors produce from the recorded command outputs (the capture is not edited by hand)', async () => {
    assert.deepEqual(raw, JSON.parse(JSON.stringify(await buildRawInventory())));
  });

  it('reads both sources without failure', () => {
    assert.deepEqual(
      inventory.sources.map((s) => [s.id, s.ok, s.count]),
      [
        ['registry', true, 21],
        ['appx', true, 19],
      ],
    );
    assert.equal(inventory.os, 'windows');
  });

  for (const [id, expected] of MUST_FIND) {
    it(`finds ${expected.name} (${id})`, () => {
      const found = inventory.apps.filter(
        (a) => idOf(a) === id && a.scope === expected.scope && (expected.user === undefined || a.user === expected.user),
      );
      assert.equal(found.length, 1, `records for ${id}: ${JSON.stringify(inventory.apps.filter((a) => idOf(a) === id))}`);
      const app = found[0]!;
      assert.deepEqual(
        { source: app.source, scope: app.scope, user: app.user, name: app.name, version: app.version },
        { source: expected.source, scope: expected.scope, user: expected.user, name: expected.name, version: expected.version },
      );
    });
  }

  it('finds the Signal that a deployment installed "as SYSTEM" into SYSTEM’s own HKCU', () => {
    const signal = inventory.apps.filter((a) => a.ids.uninstallKey === '7d96caee-06e6-597c-9f2f-c7bb2e0948b4');
    assert.deepEqual(signal.map((a) => [a.user, a.version, a.location]).sort(), [
      ['anna', '7.46.1', 'C:\\Users\\anna\\AppData\\Local\\Programs\\signal-desktop'],
      ['system', '6.43.2', 'C:\\WINDOWS\\system32\\config\\systemprofile\\AppData\\Local\\Programs\\signal-desktop'],
    ]);
  });

  it('carries publisher, location and executable where the entry has them', () => {
    const telegram = inventory.apps.find((a) => a.ids.uninstallKey === '{53F49750-6209-4FBF-9CA8-7A333C87D1ED}_is1');
    assert.deepEqual(
      [telegram?.publisher, telegram?.location, telegram?.ids.executable],
      ['Telegram FZ-LLC', 'C:\\Users\\anna\\AppData\\Roaming\\Telegram Desktop', 'Telegram.exe'],
    );
    const discord = inventory.apps.find((a) => a.ids.uninstallKey === 'Discord');
    assert.equal(discord?.ids.executable, undefined, 'Squirrel’s DisplayIcon is app.ico and its uninstaller is Update.exe');
    const whatsapp = inventory.apps.find((a) => a.ids.appxFamily === '5319275A.WhatsAppDesktop_cv1g1gvanyjgm');
    assert.equal(whatsapp?.publisher, 'CN=24803D75-212C-471A-BC57-9EF86AB91435');
  });

  for (const [id, name] of LOOK_ALIKES) {
    it(`lists the look-alike ${name} under its own identifier`, () => {
      assert.ok(inventory.apps.some((a) => idOf(a) === id && a.name === name));
    });
  }

  it('leaves out system components, nameless keys, updates and frameworks', () => {
    const ids = new Set(inventory.apps.map(idOf));
    for (const id of [
      'AddressBook',
      'Connection Manager',
      'WIC',
      'IE40',
      'Microsoft.VCLibs.140.00_8wekyb3d8bbwe',
      'Microsoft.UI.Xaml.2.8_8wekyb3d8bbwe',
    ]) {
      assert.equal(ids.has(id), false, id);
    }
    assert.ok(!inventory.apps.some((a) => a.name.startsWith('Security Update')));
  });

  it('does not read the SYSTEM, LocalService or NetworkService hives as users', () => {
    const queried = (
      raw as { sources: { registry: { data: { queries: Array<{ key: string }> } } } }
    ).sources.registry.data.queries.map((q) => q.key);
    assert.ok(queried.includes(`HKU\\${ANNA_SID}\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall`));
    assert.ok(!queried.some((k) => /HKU\\S-1-5-(18|19|20)\\/.test(k) || k.includes('_Classes')));
  });

  it('names the records whose text lost characters to the console code page', () => {
    const problems = inventory.sources.find((s) => s.id === 'registry')!.problems;
    assert.equal(problems.length, 2, problems.join(' | '));
    assert.match(problems.join(' | '), /Weixin: non-ASCII characters lost/);
    assert.match(problems.join(' | '), /Steuer-Spar-Erklaerung 2025: non-ASCII characters lost/);
  });

  it('reports a source whose data was replaced by garbage as failed and keeps the other', async () => {
    const broken = structuredClone(raw) as { sources: Record<string, { ok: true; ms: number; data: unknown }> };
    broken.sources.appx!.data = { elevated: true, whoami: { ok: true, output: '' }, packages: '{"Name":' };
    const result = await parseRawInventory(await validateRawInventory(broken));
    const appx = result.sources.find((s) => s.id === 'appx')!;
    assert.deepEqual([appx.ok, appx.error?.code], [false, 'APPX_JSON']);
    assert.equal(result.sources.find((s) => s.id === 'registry')?.count, 21);
  });
});
