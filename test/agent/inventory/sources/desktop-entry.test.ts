import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { desktopEntrySource, type DesktopApp } from '../../../../agent/inventory/sources/desktop-entry.js';
import {
  analyzeExec,
  localizedName,
  parseDesktopEntry,
  splitExec,
} from '../../../../agent/inventory/sources/desktop-entry-parse.js';
import { emptyRoot, LAPTOP, mkfifo, put, scan } from './linux-fixture.js';

describe('parseDesktopEntry()', () => {
  const cases: { name: string; text: string; error?: RegExp; check?: (e: ReturnType<typeof parseDesktopEntry>) => void }[] = [
    {
      name: 'reads the main group, unescapes values and keeps localized names',
      text: '# comment\n[Desktop Entry]\nType=Application\nName = Signal\nName[de]=Signal (Geschäftlich)\nComment=a\\sb\\\\c\n[Desktop Action x]\nName=Other\n',
      check: (r) => {
        assert.ok(r.ok);
        assert.equal(r.entry.name, 'Signal');
        assert.equal(r.entry.keys.Comment, 'a b\\c');
        assert.deepEqual(r.entry.localizedNames, { de: 'Signal (Geschäftlich)' });
      },
    },
    { name: 'rejects a file with no group', text: 'Name=Foo\nExec=foo\n', error: /outside any group/ },
    { name: 'rejects a file without [Desktop Entry]', text: '[Something Else]\nName=Foo\n', error: /no \[Desktop Entry\]/ },
    { name: 'rejects binary garbage', text: '\u007fELF\u0002\u0001\u0000\u0000garbage', error: /NUL/ },
    { name: 'rejects a broken group header', text: '[Desktop Entry\nName=x\n', error: /malformed group/ },
    {
      name: 'reads Hidden and NoDisplay, and warns about a non-boolean',
      text: '[Desktop Entry]\nName=x\nHidden=true\nNoDisplay=yes\n',
      check: (r) => {
        assert.ok(r.ok);
        assert.equal(r.entry.hidden, true);
        assert.equal(r.entry.noDisplay, false);
        assert.match(r.warnings.join(), /NoDisplay=yes is not a boolean/);
      },
    },
    {
      name: 'keeps the first of duplicate groups, with a warning',
      text: '[Desktop Entry]\nName=first\n[Desktop Entry]\nName=second\n',
      check: (r) => {
        assert.ok(r.ok);
        assert.equal(r.entry.name, 'first');
        assert.match(r.warnings.join(), /duplicate group/);
      },
    },
    {
      name: 'accepts CRLF line ends and a BOM',
      text: '\uFEFF[Desktop Entry]\r\nName=Wire\r\nType=Application\r\n',
      check: (r) => {
        assert.ok(r.ok);
        assert.equal(r.entry.name, 'Wire');
        assert.equal(r.entry.type, 'Application');
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = parseDesktopEntry(c.text);
      if (c.error) {
        assert.equal(result.ok, false);
        assert.match((result as { error: string }).error, c.error);
      } else c.check!(result);
    });
  }

  it('falls back through the locale chain to the unlocalized Name', () => {
    const r = parseDesktopEntry('[Desktop Entry]\nName=Threema\nName[de]=Threema DE\nName[de_CH]=Threema CH\n');
    assert.ok(r.ok);
    assert.equal(localizedName(r.entry, 'de_CH.UTF-8'), 'Threema CH');
    assert.equal(localizedName(r.entry, 'de_AT'), 'Threema DE');
    assert.equal(localizedName(r.entry, 'fr_FR'), 'Threema');
  });
});

describe('splitExec()', () => {
  const cases: [string, string[], boolean?][] = [
    ['/usr/bin/telegram-desktop -- %u', ['/usr/bin/telegram-desktop', '--']],
    ['"/opt/Threema Desktop/threema" --flag %U', ['/opt/Threema Desktop/threema', '--flag']],
    ['prog "a \\"quoted\\" \\$HOME \\\\ arg"', ['prog', 'a "quoted" $HOME \\ arg']],
    ['prog --file=%f 100%%', ['prog', '--file=', '100%']],
    ['prog  "unterminated', ['prog', 'unterminated'], true],
    ['', []],
  ];
  for (const [exec, args, malformed = false] of cases) {
    it(`splits ${JSON.stringify(exec)}`, () => assert.deepEqual(splitExec(exec), { args, malformed }));
  }
});

describe('analyzeExec()', () => {
  const cases: [string, ReturnType<typeof analyzeExec>][] = [
    ['/usr/bin/telegram-desktop -- %u', { program: '/usr/bin/telegram-desktop', executable: 'telegram-desktop' }],
    ['signal-desktop %U', { program: 'signal-desktop', executable: 'signal-desktop' }],
    [
      'env LANG=de_DE.UTF-8 GDK_BACKEND=x11 "/opt/Threema Desktop/threema" %U',
      { program: '/opt/Threema Desktop/threema', executable: 'threema' },
    ],
    ['/usr/bin/env -u DISPLAY -i VAR=1 viber', { program: 'viber', executable: 'viber' }],
    ['env -S "discord --start-minimized"', { program: 'discord', executable: 'discord' }],
    [
      '/usr/bin/flatpak run --branch=stable --arch=x86_64 --command=telegram-desktop --file-forwarding org.telegram.desktop -- @@u %u @@',
      { program: '/usr/bin/flatpak', flatpakId: 'org.telegram.desktop', executable: 'telegram-desktop' },
    ],
    ['flatpak run --branch stable im.riot.Riot', { program: 'flatpak', flatpakId: 'im.riot.Riot' }],
    ['flatpak run com.discordapp.Discord/x86_64/stable', { program: 'flatpak', flatpakId: 'com.discordapp.Discord' }],
    ['flatpak list', { program: 'flatpak', executable: 'flatpak' }],
    [
      'env BAMF_DESKTOP_FILE_HINT=/var/lib/snapd/desktop/applications/telegram-desktop_telegram-desktop.desktop /snap/bin/telegram-desktop -- %u',
      { program: '/snap/bin/telegram-desktop', executable: 'telegram-desktop', snapName: 'telegram-desktop' },
    ],
    [
      '/snap/bin/skype.skypeforlinux %U',
      { program: '/snap/bin/skype.skypeforlinux', executable: 'skype.skypeforlinux', snapName: 'skype' },
    ],
    ['snap run whatsdesk', { program: 'snap', executable: 'whatsdesk', snapName: 'whatsdesk' }],
    [
      'sh -c "exec /usr/bin/telegram-desktop -- \\"$1\\"" sh %u',
      { program: '/usr/bin/telegram-desktop', executable: 'telegram-desktop' },
    ],
    ["bash -c 'cd ~/apps && ./Signal.AppImage'", { program: 'cd', executable: 'cd' }],
    ['/bin/sh', { program: '/bin/sh', executable: 'sh' }],
    [
      'env WINEPREFIX="/home/anna/.wine" wine C:\\\\users\\\\anna\\\\AppData\\\\Local\\\\LINE\\\\bin\\\\LineLauncher.exe',
      { program: 'C:\\\\users\\\\anna\\\\AppData\\\\Local\\\\LINE\\\\bin\\\\LineLauncher.exe', executable: 'LineLauncher.exe' },
    ],
    [
      '"/home/anna/Applications/Signal-7.1.0-x86_64.AppImage" --no-sandbox %U',
      {
        program: '/home/anna/Applications/Signal-7.1.0-x86_64.AppImage',
        executable: 'Signal-7.1.0-x86_64.AppImage',
      },
    ],
    ['', {}],
    ['env', {}],
  ];
  for (const [exec, expected] of cases) {
    it(`reads ${JSON.stringify(exec)}`, () => assert.deepEqual(analyzeExec(exec), expected));
  }
});

describe('desktop-entry source on the fixture laptop', () => {
  it('lists application entries of the system and of each home, with ids, scope and user', async () => {
    const result = await scan(desktopEntrySource, LAPTOP);
    assert.deepEqual(result.problems, []);
    const apps = result.apps as DesktopApp[];
    const byId = new Map(apps.map((a) => [`${a.user ?? ''}:${a.ids.desktopId}`, a]));
    const telegram = byId.get(':org.telegram.desktop.desktop')!;
    assert.deepEqual(telegram, {
      name: 'Telegram Desktop',
      source: 'desktop-entry',
      scope: 'machine',
      ids: { desktopId: 'org.telegram.desktop.desktop', executable: 'telegram-desktop' },
      location: '/usr/share/applications/org.telegram.desktop.desktop',
    });
    assert.equal(byId.get(':kde4-kopete.desktop')?.name, 'Kopete', 'sub-folder: desktop id joins the path with "-"');
    assert.equal(byId.get(':threema-desktop.desktop')?.ids.executable, 'threema');
    assert.deepEqual(byId.get(':threema-desktop.desktop')?.localizedNames, {
      de: 'Threema (Geschäftlich)',
      de_CH: 'Threema (Gschäftlich)',
      fr: 'Threema (Professionnel)',
    });
    assert.equal(byId.get(':telegram-url-handler.desktop')?.noDisplay, true, 'NoDisplay entries are kept but marked');
    assert.equal(byId.get(':org.telegram.desktop.desktop')?.noDisplay, undefined);
    const anna = apps.filter((a) => a.user === 'anna');
    assert.ok(anna.every((a) => a.scope === 'user'));
    assert.deepEqual(byId.get('anna:whatsapp-web.desktop')?.ids, {
      desktopId: 'whatsapp-web.desktop',
      executable: 'whatsapp-for-linux',
      flatpakId: 'com.github.eneshecan.WhatsAppForLinux',
    });
    assert.equal(byId.get('anna:appimagekit_5d3a8c1e0f-Signal.desktop')?.version, '7.1.0');
    assert.equal(byId.get('anna:wine-Programs-LINE.desktop')?.ids.executable, 'LineLauncher.exe');
  });

  it('lets /usr/local/share override /usr/share, and leaves out Hidden, Link and Directory entries', async () => {
    const { apps } = await scan(desktopEntrySource, LAPTOP);
    const signal = apps.filter((a) => a.ids.desktopId === 'signal-desktop.desktop');
    assert.equal(signal.length, 1);
    assert.equal(signal[0]!.name, 'Signal (Firmenproxy)');
    assert.equal(signal[0]!.location, '/usr/local/share/applications/signal-desktop.desktop');
    const names = apps.map((a) => a.name);
    assert.ok(!names.includes('Skype'), 'Hidden=true means deleted');
    assert.ok(!names.includes('Viber website'), 'Type=Link is no app');
  });

  it('is "not present" on a root without any applications folder', async (t) => {
    const root = await emptyRoot(t);
    const { raw, apps, problems } = await scan(desktopEntrySource, root);
    assert.deepEqual(raw, { present: false });
    assert.deepEqual([apps, problems], [[], []]);
  });
});

describe('desktop-entry source with bad input', () => {
  it('records broken files as problems and still reads the good ones', async (t) => {
    const root = await emptyRoot(t);
    const dir = 'usr/share/applications';
    await put(root, `${dir}/good.desktop`, '[Desktop Entry]\nType=Application\nName=Good\nExec=good\n');
    await put(root, `${dir}/nogroup.desktop`, 'Name=No group\nExec=x\n');
    await put(root, `${dir}/garbage.desktop`, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0xff, 0xfe]));
    await put(root, `${dir}/notype.desktop`, '[Desktop Entry]\nName=No type\n');
    await put(root, `${dir}/noname.desktop`, '[Desktop Entry]\nType=Application\nExec=x\n');
    await put(root, `${dir}/huge.desktop`, `[Desktop Entry]\nType=Application\nName=Huge\nComment=${'x'.repeat(300 * 1024)}\n`);
    await mkfifo(path.join(root, dir, 'pipe.desktop'));
    const { apps, problems } = await scan(desktopEntrySource, root);
    assert.deepEqual(
      apps.map((a) => a.name),
      ['Good'],
    );
    const text = problems.join('\n');
    assert.match(text, /nogroup\.desktop: line 1: key outside any group/);
    assert.match(text, /garbage\.desktop: contains NUL bytes/);
    assert.match(text, /notype\.desktop: no Type key/);
    assert.match(text, /noname\.desktop: application entry without Name/);
    assert.match(text, /huge\.desktop is \d+ bytes, more than the 262144 read \(FILE_TOO_LARGE\)/);
    // The FIFO is no regular file, so it is not even opened (opening one for reading would block the scan).
    assert.doesNotMatch(text, /pipe\.desktop/);
  });

  it('ends a symbolic link loop and never follows a link out of the root', async (t) => {
    const root = await emptyRoot(t);
    const apps = 'home/anna/.local/share/applications';
    await put(root, 'etc/passwd', 'anna:x:1000:1000::/home/anna:/bin/bash\n');
    await put(root, `${apps}/own.desktop`, '[Desktop Entry]\nType=Application\nName=Own\nExec=own\n');
    await symlink('.', path.join(root, apps, 'loop')); // a folder containing itself
    await symlink('../applications', path.join(root, apps, 'again'));
    // Absolute link: on the live system this is the host's folder; below a root it must stay inside the root.
    await symlink('/usr/share/applications', path.join(root, apps, 'host'));
    const { apps: found, problems } = await scan(desktopEntrySource, root);
    assert.deepEqual(
      found.map((a) => a.location),
      ['/home/anna/.local/share/applications/own.desktop'],
    );
    assert.match(problems.join('\n'), /host: does not exist \(ENOENT\)/);
  });

  it('fails the source with RAW_INVALID when a replayed capture has the wrong shape', async () => {
    await assert.rejects(desktopEntrySource.check({ present: true, dirs: 'nope' }), { code: 'RAW_INVALID' });
    await assert.rejects(desktopEntrySource.check(null), { code: 'RAW_INVALID' });
  });
});
