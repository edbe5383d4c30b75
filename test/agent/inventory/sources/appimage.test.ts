import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appImageName, appImageSource, appImageType, parseUserDirs } from '../../../../agent/inventory/sources/appimage.js';
import { emptyRoot, LAPTOP, put, scan } from './linux-fixture.js';

const TYPE2 = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0x41, 0x49, 2, 0, 0, 0, 0, 0]);

describe('appImageName()', () => {
  const table: [string, string, string?][] = [
    ['Signal-7.1.0-x86_64.AppImage', 'Signal', '7.1.0'],
    ['Telegram_Desktop-4.8.1-x86_64.AppImage', 'Telegram Desktop', '4.8.1'],
    ['FreeCAD_0.21.2-Linux-x86_64.AppImage', 'FreeCAD', '0.21.2'],
    ['whatsapp-for-linux-1.6.4-x86_64.AppImage', 'whatsapp-for-linux', '1.6.4'],
    ['Element.1.11.50.AppImage', 'Element', '1.11.50'],
    ['Threema-Beta-2.0-beta-x86_64.AppImage', 'Threema-Beta', '2.0'],
    ['Discord-v0.0.35-amd64.appimage', 'Discord', '0.0.35'],
    ['WeChat-aarch64.AppImage', 'WeChat'],
    ['Obsidian-linux-x64.AppImage', 'Obsidian'],
    ['whatsapp-for-linux.AppImage', 'whatsapp-for-linux'],
    ['nvim.appimage', 'nvim'],
    ['Telegram', 'Telegram'],
    ['1.0.AppImage', '1.0'],
  ];
  for (const [file, name, version] of table) {
    it(`${file} → ${name}${version ? ` ${version}` : ''}`, () =>
      assert.deepEqual(appImageName(file), { name, ...(version ? { version } : {}) }));
  }
});

describe('appImageType()', () => {
  const table: [string, Buffer, 1 | 2 | null][] = [
    ['type 2', TYPE2, 2],
    ['type 1', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0x41, 0x49, 1]), 1],
    ['plain ELF', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]), null],
    ['magic without ELF', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0x41, 0x49, 2]), null],
    ['unknown type byte', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0x41, 0x49, 3]), null],
    ['short file', Buffer.from([0x7f, 0x45]), null],
  ];
  for (const [name, head, type] of table) it(name, () => assert.equal(appImageType(head), type));
});

describe('parseUserDirs()', () => {
  it('reads localized desktop and download folders, nothing that climbs out of the home', () => {
    const text =
      'XDG_DESKTOP_DIR="$HOME/Schreibtisch"\nXDG_DOWNLOAD_DIR="$HOME/../etc"\nXDG_MUSIC_DIR="$HOME/Musik"\n# XDG_DOWNLOAD_DIR="$HOME/x"\n';
    assert.deepEqual(parseUserDirs(text), ['Schreibtisch']);
  });
});

describe('appimage source on the fixture laptop', () => {
  it('finds AppImages by suffix or magic in the usual places, once each, and ignores plain programs', async () => {
    const { apps, problems } = await scan(appImageSource, LAPTOP);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      apps.map((a) => [a.location, a.name, a.version, a.scope, a.user]),
      [
        ['/home/anna/Applications/Signal-7.1.0-x86_64.AppImage', 'Signal', '7.1.0', 'user', 'anna'],
        ['/home/anna/.local/bin/wire-legacy', 'wire-legacy', undefined, 'user', 'anna'],
        ['/home/anna/Downloads/Element-1.11.50.AppImage', 'Element', '1.11.50', 'user', 'anna'],
        ['/home/anna/Schreibtisch/Telegram', 'Telegram', undefined, 'user', 'anna'],
        ['/opt/apps/Threema-Beta-2.0-beta-x86_64.AppImage', 'Threema-Beta', '2.0', 'machine', undefined],
      ],
    );
    assert.deepEqual(apps[0]!.ids, { executable: 'Signal-7.1.0-x86_64.AppImage' });
    assert.equal(apps[0]!.source, 'appimage');
  });

  it('keeps the AppImage type in the capture (null for a suffix without magic)', async () => {
    const raw = (await appImageSource.collect({ os: 'linux', root: LAPTOP, live: false })) as {
      files: { path: string; type: number | null }[];
    };
    const types = Object.fromEntries(raw.files.map((f) => [f.path.split('/').pop(), f.type]));
    assert.deepEqual(types, {
      'Signal-7.1.0-x86_64.AppImage': 2,
      'wire-legacy': 1,
      'Element-1.11.50.AppImage': null,
      Telegram: 2,
      'Threema-Beta-2.0-beta-x86_64.AppImage': 2,
    });
  });

  it('does not open non-executable files without the suffix', async (t) => {
    const root = await emptyRoot(t);
    await put(root, 'root/Downloads/renamed-appimage', TYPE2, 0o644);
    await put(root, 'root/Downloads/runnable', TYPE2, 0o755);
    const { apps } = await scan(appImageSource, root);
    assert.deepEqual(
      apps.map((a) => a.location),
      ['/root/Downloads/runnable'],
    );
  });

  it('fails with RAW_INVALID on a replayed capture of the wrong shape', async () => {
    await assert.rejects(appImageSource.check({ present: true, files: [{ path: '/x', type: 7 }] }), { code: 'RAW_INVALID' });
  });
});
