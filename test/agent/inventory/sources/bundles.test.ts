import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectRawInventory, parseRawInventory } from '../../../../agent/inventory/index.js';
import type { InstalledApp } from '../../../../agent/inventory/index.js';
import { bundleSource, collectBundles, parseBundles } from '../../../../agent/inventory/sources/bundles.js';
import type { RawBundles } from '../../../../agent/inventory/sources/bundles.js';

// The macOS collector is file-based, so it runs for real here on a fixture tree (see test/fixtures/macos/README.md).
const ROOT = fileURLToPath(new URL('../../../fixtures/macos/root', import.meta.url));

type Expected = Pick<InstalledApp, 'name' | 'scope' | 'ids'> & { version?: string; user?: string };

/** Every bundle the fixture tree must yield, by location. */
const MUST_FIND: Record<string, Expected> = {
  '/Applications/WhatsApp.app': {
    name: 'WhatsApp',
    version: '24.24.80',
    scope: 'machine',
    ids: { bundleId: 'net.whatsapp.WhatsApp', executable: 'WhatsApp' },
  },
  '/Applications/Telegram.app': {
    name: 'Telegram',
    version: '11.6',
    scope: 'machine',
    ids: { bundleId: 'ru.keepcoder.Telegram', executable: 'Telegram' },
  },
  '/Applications/Telegram Desktop.app': {
    name: 'Telegram Desktop', // no CFBundleName in tdesktop's plist: the folder name it was renamed to
    version: '5.10',
    scope: 'machine',
    ids: { bundleId: 'com.tdesktop.Telegram', executable: 'Telegram' },
  },
  '/Applications/Signal.app': {
    name: 'Signal',
    version: '7.46.1',
    scope: 'machine',
    ids: { bundleId: 'org.whispersystems.signal-desktop', executable: 'Signal' },
  },
  '/Applications/Messenger.app': {
    name: 'Messenger',
    version: '205.0',
    scope: 'machine',
    ids: { bundleId: 'com.facebook.archon', executable: 'Messenger' },
  },
  '/Applications/LINE.app': {
    name: 'LINE',
    version: '9.4.2',
    scope: 'machine',
    ids: { bundleId: 'jp.naver.line.mac', executable: 'LINE' },
  },
  '/Applications/Discord.app': {
    name: 'Discord',
    version: '0.0.330',
    scope: 'machine',
    ids: { bundleId: 'com.hnc.Discord', executable: 'Discord' },
  },
  '/Applications/Threema.app': {
    name: 'Threema', // iOS app on Apple silicon, plist via WrappedBundle
    version: '6.5.1',
    scope: 'machine',
    ids: { bundleId: 'ch.threema.iapp', executable: 'Threema' },
  },
  '/Applications/WireGuard.app': {
    name: 'WireGuard',
    version: '1.0.16',
    scope: 'machine',
    ids: { bundleId: 'com.wireguard.macos', executable: 'WireGuard' },
  },
  '/Applications/Wireshark.app': {
    name: 'Wireshark', // no CFBundleName: folder name
    version: '4.4.2',
    scope: 'machine',
    ids: { bundleId: 'org.wireshark.Wireshark', executable: 'Wireshark' },
  },
  '/Applications/TeamViewer.app': {
    name: 'TeamViewer',
    version: '15.60.3',
    scope: 'machine',
    ids: { bundleId: 'com.teamviewer.TeamViewer', executable: 'TeamViewer' },
  },
  '/Applications/Linear.app': {
    name: 'Linear',
    version: '1.29.0',
    scope: 'machine',
    ids: { bundleId: 'com.linear', executable: 'Linear' },
  },
  '/Applications/Karabiner-Elements.app': {
    name: 'Karabiner-Elements',
    version: '15.3.0',
    scope: 'machine',
    ids: { bundleId: 'org.pqrs.Karabiner-Elements.Settings', executable: 'Karabiner-Elements' },
  },
  '/Applications/企业微信.app': {
    name: 'WeCom',
    version: '4.1.30',
    scope: 'machine',
    ids: { bundleId: 'com.tencent.WeWorkMac', executable: '企业微信' },
  },
  '/Applications/Adobe Acrobat DC/Adobe Acrobat.app': {
    name: 'Adobe Acrobat',
    version: '24.005.20320',
    scope: 'machine',
    ids: { bundleId: 'com.adobe.Acrobat.Pro', executable: 'AdobeAcrobat' },
  },
  '/Applications/Broken.app': { name: 'Broken', scope: 'machine', ids: {} },
  '/Applications/Truncated.app': { name: 'Truncated', scope: 'machine', ids: {} },
  '/Applications/NoPlist.app': { name: 'NoPlist', scope: 'machine', ids: {} },
  '/Users/Shared/Applications/Element.app': {
    name: 'Element',
    version: '1.11.85',
    scope: 'machine',
    ids: { bundleId: 'im.riot.app', executable: 'Element' },
  },
  '/Users/anna/Applications/Viber.app': {
    name: 'Viber',
    version: '24.9.2',
    scope: 'user',
    user: 'anna',
    ids: { bundleId: 'com.viber.osx', executable: 'Viber' },
  },
  '/Users/anna/Downloads/WhatsApp.app': {
    name: 'WhatsApp',
    version: '2.2422.2',
    scope: 'user',
    user: 'anna',
    ids: { bundleId: 'desktop.WhatsApp', executable: 'WhatsApp' },
  },
  '/Users/anna/Desktop/Apps/Signal Beta.app': {
    name: 'Signal Beta',
    version: '7.47.0-beta.1',
    scope: 'user',
    user: 'anna',
    ids: { bundleId: 'org.whispersystems.signal-desktop-beta', executable: 'Signal Beta' },
  },
  '/Users/ben/Applications/Slack.app': {
    name: 'Slack',
    version: '4.41.105',
    scope: 'user',
    user: 'ben',
    ids: { bundleId: 'com.tinyspeck.slackmacgap', executable: 'Slack' },
  },
};

/** Bundles that exist in the tree but must not be listed, and why. */
const MUST_NOT_FIND: Record<string, string> = {
  '/Applications/Discord.app/Contents/Frameworks/Discord Helper.app': 'inside another bundle',
  '/Applications/Adobe Acrobat DC/Extras/Too Deep.app': 'two levels below /Applications',
  '/System/Applications/Messages.app': "Apple's own apps are skipped",
  '/Applications/Linked.app': 'symbolic links are not followed',
};

describe('collectBundles() + parseBundles() on the fixture tree', () => {
  let raw: RawBundles;
  let apps: InstalledApp[];
  let problems: string[];

  before(async () => {
    raw = await collectBundles({ root: ROOT });
    ({ apps, problems } = await parseBundles(JSON.parse(JSON.stringify(raw))));
  });

  for (const [location, expected] of Object.entries(MUST_FIND)) {
    it(`finds ${location}`, () => {
      const found = apps.filter((a) => a.location === location);
      assert.equal(found.length, 1, `expected exactly one record at ${location}`);
      const app = found[0]!;
      assert.equal(app.source, 'bundle');
      assert.deepEqual(
        { name: app.name, version: app.version, scope: app.scope, user: app.user, ids: app.ids },
        { name: expected.name, version: expected.version, scope: expected.scope, user: expected.user, ids: expected.ids },
      );
    });
  }

  it('lists nothing else', () => {
    assert.deepEqual(apps.map((a) => a.location).sort(), Object.keys(MUST_FIND).sort());
    for (const location of Object.keys(MUST_NOT_FIND)) assert.ok(!apps.some((a) => a.location === location), location);
  });

  it('keeps binary plists intact through JSON (base64)', () => {
    const whatsapp = raw.bundles.find((b) => b.path === '/Applications/WhatsApp.app');
    assert.ok(whatsapp?.infoPlist);
    assert.equal(Buffer.from(whatsapp.infoPlist, 'base64').subarray(0, 8).toString('latin1'), 'bplist00');
  });

  it('records a problem for each broken bundle and for the symlink, and counts the broken ones by folder name', () => {
    const expected: Array<[string, RegExp]> = [
      ['/Applications/Broken.app', /PLIST_FORMAT/],
      ['/Applications/Truncated.app', /PLIST_MALFORMED/],
      ['/Applications/NoPlist.app', /no usable Info\.plist \(ENOENT/],
      ['/Applications/Linked.app', /symbolic link/],
    ];
    for (const [where, what] of expected) {
      assert.ok(
        problems.some((p) => p.startsWith(`${where}:`) && what.test(p)),
        `missing problem for ${where}: ${problems.join(' | ')}`,
      );
    }
    assert.equal(problems.length, expected.length, problems.join(' | '));
  });

  it('is registered as the macOS source and replays through parseRawInventory', async () => {
    const captured = await collectRawInventory({ os: 'macos', root: ROOT });
    assert.equal(captured.processes, undefined, 'a folder tree has no running processes');
    const inventory = await parseRawInventory(JSON.parse(JSON.stringify(captured)));
    const report = inventory.sources.find((s) => s.id === bundleSource.id);
    assert.equal(report?.ok, true);
    assert.equal(report?.count, Object.keys(MUST_FIND).length);
    assert.ok(inventory.apps.some((a) => a.ids.bundleId === 'net.whatsapp.WhatsApp'));
  });
});

describe('collectBundles() on folders it cannot read', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'appwacht-bundles-'));
  });
  after(async () => {
    await chmod(path.join(tmp, 'Users/anna/Desktop'), 0o755).catch(() => {});
    await rm(tmp, { recursive: true, force: true });
  });

  it('says that /Applications and /Users are missing for a root without any of the folders (not a Mac)', async () => {
    const raw = await collectBundles({ root: tmp });
    assert.deepEqual(raw, {
      bundles: [],
      problems: [],
      unreadable: [
        { path: '/Applications', code: 'ENOENT' },
        { path: '/Users', code: 'ENOENT' },
      ],
    });
    const parsed = await parseBundles(raw);
    assert.deepEqual(
      parsed.unread?.map((u) => u.place),
      ['/Applications', '/Users'],
    );
  });

  it('records a folder it may not list (like TCC-protected ~/Desktop) and goes on', async () => {
    await cp(path.join(ROOT, 'Users'), path.join(tmp, 'Users'), { recursive: true, verbatimSymlinks: true });
    await chmod(tmp, 0o755);
    await chmod(path.join(tmp, 'Users/anna/Desktop'), 0);
    const raw = await collectAs(unprivileged, tmp);
    // Bundles there are unseen: the source can no longer vouch for the device (it is reported as read in part).
    assert.deepEqual(raw.unreadable, [
      { path: '/Applications', code: 'ENOENT' },
      { path: '/Users/anna/Desktop', code: 'EACCES' },
    ]);
    assert.ok(raw.bundles.some((b) => b.path === '/Users/anna/Downloads/WhatsApp.app'));
    const parsed = await parseBundles(raw);
    assert.equal(parsed.unread?.[1]?.place, '/Users/anna/Desktop');
    assert.ok(
      parsed.apps.some((a) => a.location === '/Users/anna/Downloads/WhatsApp.app'),
      'what was seen still counts',
    );
  });
});

// Root reads everything, so under root the collector runs in a child process as "nobody" to meet a real EACCES.
const unprivileged = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

async function collectAs(user: { uid: number; gid: number } | undefined, root: string): Promise<RawBundles> {
  if (!user) return collectBundles({ root });
  const moduleUrl = new URL('../../../../agent/inventory/sources/bundles.ts', import.meta.url).href;
  const script = `const m = await import(${JSON.stringify(moduleUrl)}); process.stdout.write(JSON.stringify(await m.collectBundles({ root: ${JSON.stringify(root)} })));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../../../../', import.meta.url)),
    ...user,
  });
  return JSON.parse(out.toString()) as RawBundles;
}

describe('parseBundles() on bad raw data', () => {
  const bad: Array<[string, unknown]> = [
    ['null', null],
    ['an array', []],
    ['bundles that are not objects', { bundles: ['x'], problems: [] }],
    ['a bundle without a path', { bundles: [{ scope: 'machine' }], problems: [] }],
    ['an unknown scope', { bundles: [{ path: '/Applications/X.app', scope: 'everyone' }], problems: [] }],
  ];
  for (const [what, raw] of bad) {
    it(`throws RAW_INVALID for ${what}`, async () => {
      await assert.rejects(
        async () => parseBundles(await bundleSource.check(raw)),
        (err: unknown) => (err as { code?: string }).code === 'RAW_INVALID',
      );
    });
  }

  it('counts a bundle whose base64 plist decodes to garbage by folder name, with a problem', async () => {
    const result = await parseBundles({
      bundles: [{ path: '/Applications/WhatsApp.app', scope: 'machine', infoPlist: Buffer.from('garbage').toString('base64') }],
      problems: [],
    });
    assert.deepEqual(
      result.apps.map((a) => [a.name, a.ids]),
      [['WhatsApp', {}]],
    );
    assert.match(result.problems[0] ?? '', /PLIST_FORMAT/);
  });
});
