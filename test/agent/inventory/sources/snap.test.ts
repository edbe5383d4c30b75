import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { snapSource } from '../../../../agent/inventory/sources/snap.js';
import { emptyRoot, LAPTOP, laptopCopy, put, scan } from './linux-fixture.js';

describe('snap source on the fixture laptop', () => {
  it('lists app snaps with snap name, title, version and launcher; not the base snap', async () => {
    const { apps, problems } = await scan(snapSource, LAPTOP);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      apps.map((a) => [a.ids.snapName, a.name, a.version]),
      [
        ['signal-desktop', 'Signal Desktop', '7.1.0'],
        ['telegram-desktop', 'Telegram Desktop', '5.8.3'],
        ['whatsapp-for-linux', 'WhatsApp for Linux', '1.6.4'],
        ['discord', 'discord', undefined],
      ],
    );
    assert.deepEqual(apps[1], {
      name: 'Telegram Desktop',
      version: '5.8.3',
      source: 'snap',
      scope: 'machine',
      ids: {
        snapName: 'telegram-desktop',
        desktopId: 'telegram-desktop_telegram-desktop.desktop',
        executable: 'telegram-desktop',
      },
      location: '/snap/telegram-desktop',
    });
    assert.ok(!apps.some((a) => a.ids.snapName === 'core22'));
  });

  it('recognises snaps of a disk image whose squashfs is not mounted, by .snap file and launcher', async (t) => {
    const root = await laptopCopy(t);
    for (const s of ['telegram-desktop', 'whatsapp-for-linux', 'signal-desktop', 'core22']) {
      await rm(path.join(root, 'snap', s), { recursive: true });
    }
    const { apps, problems } = await scan(snapSource, root);
    assert.deepEqual(problems, []);
    assert.deepEqual(apps.map((a) => [a.ids.snapName, a.name]).sort(), [
      ['discord', 'discord'],
      ['signal-desktop', 'Signal'],
      ['telegram-desktop', 'Telegram Desktop'],
      ['whatsapp-for-linux', 'WhatsApp for Linux'],
    ]);
  });

  it('is "not present" without /snap and /var/lib/snapd', async (t) => {
    const root = await emptyRoot(t);
    assert.deepEqual(await snapSource.collect({ os: 'linux', root, live: false }), { present: false });
  });
});

describe('snap source with bad input', () => {
  it('reports invalid YAML and a snap.yaml without a name, and still lists the snap', async (t) => {
    const root = await laptopCopy(t);
    await writeFile(path.join(root, 'snap/telegram-desktop/current/meta/snap.yaml'), 'name: [unclosed\n  version: :\n\u0000');
    await writeFile(path.join(root, 'snap/signal-desktop/current/meta/snap.yaml'), 'version: 1\n');
    const { apps, problems } = await scan(snapSource, root);
    assert.ok(apps.some((a) => a.ids.snapName === 'telegram-desktop' && a.name === 'Telegram Desktop'));
    assert.ok(apps.some((a) => a.ids.snapName === 'signal-desktop' && a.name === 'Signal'));
    assert.match(problems.join('\n'), /telegram-desktop\/current\/meta\/snap\.yaml: not valid YAML/);
    assert.match(problems.join('\n'), /signal-desktop\/current\/meta\/snap\.yaml: no snap name in it/);
  });

  it('refuses a YAML alias bomb instead of expanding it', async (t) => {
    const root = await emptyRoot(t);
    const bomb = ['name: bomb', 'a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    await put(root, 'snap/bomb/current/meta/snap.yaml', bomb.join('\n') + '\n');
    const started = Date.now();
    const { apps, problems } = await scan(snapSource, root);
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(
      apps.map((a) => a.ids.snapName),
      ['bomb'],
    );
    assert.match(problems.join('\n'), /not valid YAML/);
  });

  it('handles a parallel install (instance key) and keeps the store name', async (t) => {
    const root = await emptyRoot(t);
    await put(root, 'snap/telegram-desktop_work/current/meta/snap.yaml', 'name: telegram-desktop\nversion: 5.8.3\n');
    const { apps } = await scan(snapSource, root);
    assert.deepEqual(
      apps.map((a) => [a.ids.snapName, a.location]),
      [['telegram-desktop', '/snap/telegram-desktop_work']],
    );
  });

  it('fails with RAW_INVALID on a replayed capture of the wrong shape', async () => {
    await assert.rejects(snapSource.check({ present: true, snaps: {} }), { code: 'RAW_INVALID' });
  });
});
