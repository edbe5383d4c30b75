import assert from 'node:assert/strict';
import { rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { flatpakSource } from '../../../../agent/inventory/sources/flatpak.js';
import { parseMetaInfo } from '../../../../agent/inventory/sources/metainfo.js';
import { emptyRoot, LAPTOP, laptopCopy, put, scan } from './linux-fixture.js';

const TELEGRAM_APP = 'var/lib/flatpak/app/org.telegram.desktop';

describe('flatpak source on the fixture laptop', () => {
  it('finds system and per-user apps with id, name, version, developer and scope', async () => {
    const { apps, problems } = await scan(flatpakSource, LAPTOP);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      apps.map((a) => [a.ids.flatpakId, a.name, a.version, a.publisher, a.scope, a.user]),
      [
        ['im.riot.Riot', 'Element', '1.11.111', 'Element', 'machine', undefined],
        ['org.telegram.desktop', 'Telegram Desktop', '5.2.3', 'Telegram FZ-LLC', 'machine', undefined],
        ['org.wireshark.Wireshark', 'Wireshark', '4.4.2', 'The Wireshark developer community', 'machine', undefined],
        ['com.discordapp.Discord', 'Discord', '0.0.139', 'Discord Inc.', 'user', 'bernd'],
      ],
    );
    assert.deepEqual(apps[1], {
      name: 'Telegram Desktop',
      version: '5.2.3',
      publisher: 'Telegram FZ-LLC',
      source: 'flatpak',
      scope: 'machine',
      ids: { flatpakId: 'org.telegram.desktop', desktopId: 'org.telegram.desktop.desktop', executable: 'telegram-desktop' },
      location: '/var/lib/flatpak/app/org.telegram.desktop',
    });
    // The capture keeps where `current` points, for support.
    const raw = (await flatpakSource.collect({ os: 'linux', root: LAPTOP, live: false })) as { apps: { ref?: string }[] };
    assert.equal(raw.apps[1]!.ref, 'x86_64/stable');
  });

  it('is "not present" without any flatpak installation', async (t) => {
    const root = await emptyRoot(t);
    assert.deepEqual(await flatpakSource.collect({ os: 'linux', root, live: false }), { present: false });
  });
});

describe('flatpak source with bad input', () => {
  it('falls back to the desktop Name, then the id, when AppStream data is missing', async (t) => {
    const root = await laptopCopy(t);
    const active = path.join(root, TELEGRAM_APP, 'current/active');
    await rm(path.join(active, 'files'), { recursive: true });
    let apps = (await scan(flatpakSource, root)).apps;
    assert.equal(apps.find((a) => a.ids.flatpakId === 'org.telegram.desktop')?.name, 'Telegram');
    await rm(path.join(active, 'export'), { recursive: true });
    apps = (await scan(flatpakSource, root)).apps;
    const telegram = apps.find((a) => a.ids.flatpakId === 'org.telegram.desktop')!;
    assert.equal(telegram.name, 'org.telegram.desktop');
    assert.equal(telegram.version, undefined);
  });

  it('still reports an app whose metadata is missing or garbage, with a problem', async (t) => {
    const root = await laptopCopy(t);
    await rm(path.join(root, TELEGRAM_APP, 'current/active/metadata'));
    await writeFile(path.join(root, 'var/lib/flatpak/app/im.riot.Riot/current/active/metadata'), Buffer.from([0, 1, 2, 0xff]));
    const { apps, problems } = await scan(flatpakSource, root);
    assert.ok(apps.some((a) => a.ids.flatpakId === 'org.telegram.desktop'));
    assert.ok(apps.some((a) => a.ids.flatpakId === 'im.riot.Riot'));
    assert.match(problems.join('\n'), /org\.telegram\.desktop: no metadata in current\/active/);
    assert.match(problems.join('\n'), /im\.riot\.Riot\/current\/active\/metadata: no \[Application\] group/);
  });

  it('says when metadata names another app than its folder, and skips folders that are no app id', async (t) => {
    const root = await laptopCopy(t);
    await writeFile(path.join(root, TELEGRAM_APP, 'current/active/metadata'), '[Application]\nname=org.example.Other\n');
    await put(root, 'var/lib/flatpak/app/not-an-id/current/active/metadata', '[Application]\nname=not-an-id\n');
    const { apps, problems } = await scan(flatpakSource, root);
    assert.ok(!apps.some((a) => a.ids.flatpakId === 'not-an-id'));
    assert.match(problems.join('\n'), /metadata names "org\.example\.Other", folder is "org\.telegram\.desktop"/);
    assert.match(problems.join('\n'), /"not-an-id" is not a flatpak app id/);
  });

  it('ends a `current` link loop with a problem', async (t) => {
    const root = await laptopCopy(t);
    const current = path.join(root, TELEGRAM_APP, 'current');
    await rm(current);
    await symlink('current', current);
    const { apps, problems } = await scan(flatpakSource, root);
    assert.ok(
      apps.some((a) => a.ids.flatpakId === 'im.riot.Riot'),
      'the other apps are still read',
    );
    assert.match(problems.join('\n'), /org\.telegram\.desktop\/current\/active\/metadata: symbolic link loop \(ELOOP\)/);
  });

  it('reads an extra installation from /etc/flatpak/installations.d', async (t) => {
    const root = await emptyRoot(t);
    await put(root, 'etc/flatpak/installations.d/extra.conf', '[Installation "extra"]\nPath=/srv/flatpak\nDisplayName=Extra\n');
    await put(
      root,
      'srv/flatpak/app/org.signal.Signal/current/active/metadata',
      '[Application]\nname=org.signal.Signal\ncommand=signal-desktop\n',
    );
    const { apps } = await scan(flatpakSource, root);
    assert.deepEqual(
      apps.map((a) => [a.ids.flatpakId, a.scope, a.location]),
      [['org.signal.Signal', 'machine', '/srv/flatpak/app/org.signal.Signal']],
    );
  });

  it('fails with RAW_INVALID on a replayed capture of the wrong shape', async () => {
    await assert.rejects(flatpakSource.check({ present: true, apps: [{ id: 1 }] }), { code: 'RAW_INVALID' });
  });
});

describe('parseMetaInfo()', () => {
  const table: [string, string, ReturnType<typeof parseMetaInfo>][] = [
    [
      'untranslated name, newest release, AppStream 1.0 developer block',
      '<component><name xml:lang="de">Telegramm</name><name>Telegram Desktop</name><developer id="x"><name>Telegram FZ-LLC</name></developer><releases><release version="5.2.3"/><release version="5.2.2"/></releases></component>',
      { name: 'Telegram Desktop', version: '5.2.3', developer: 'Telegram FZ-LLC' },
    ],
    [
      'developer_name, entities, comments',
      '<component><!-- <name>Commented</name> --><name>Signal &amp; Co</name><developer_name>Signal Messenger, LLC</developer_name></component>',
      { name: 'Signal & Co', developer: 'Signal Messenger, LLC' },
    ],
    ['garbage', '\u0000\u0001<<<>>>', {}],
    ['empty', '', {}],
  ];
  for (const [name, xml, expected] of table) it(name, () => assert.deepEqual(parseMetaInfo(xml), expected));
});
