import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeInstall, removalId, removalSteps, type InstallToRemove } from '../../../agent/catalog/removal.js';
import { OsName, Scope, SourceKind } from '../../../protocol/index.js';

const commands = (i: InstallToRemove, os: OsName) =>
  removalSteps(i, os)
    .map((s) => s.command)
    .filter(Boolean);

describe('removalSteps()', () => {
  it('gives every source kind, scope and OS steps in both languages, ending with how to confirm', () => {
    for (const source of SourceKind.options)
      for (const scope of Scope.options)
        for (const os of OsName.options) {
          const steps = removalSteps({ source, scope, name: 'Telegram Desktop', location: '/x/y/Telegram' }, os);
          assert.ok(steps.length >= 2, `${source}/${scope}/${os}`);
          for (const s of steps)
            assert.ok(s.text.de.length > 5 && s.text.en.length > 5 && s.text.de !== s.text.en, `${source}/${scope}/${os}`);
          assert.match(steps.at(-1)!.text.en, /Check now/);
          const where = describeInstall({ source, scope, name: 'x' });
          assert.ok(where.de && where.en);
        }
  });

  it('names the commands the issue asks for', () => {
    assert.deepEqual(commands({ source: 'dpkg', scope: 'machine', name: 'telegram-desktop' }, 'linux'), [
      'sudo apt remove telegram-desktop',
    ]);
    assert.deepEqual(
      commands(
        {
          source: 'flatpak',
          scope: 'user',
          name: 'Telegram',
          location: '/home/anna/.local/share/flatpak/app/org.telegram.desktop',
        },
        'linux',
      ),
      ['flatpak uninstall --user org.telegram.desktop'],
    );
    assert.deepEqual(
      commands({ source: 'snap', scope: 'machine', name: 'Telegram', location: '/snap/telegram-desktop' }, 'linux'),
      ['sudo snap remove telegram-desktop'],
    );
    const store = removalSteps({ source: 'appx', scope: 'user', name: 'WhatsApp', id: '5319275A.WhatsAppDesktop' }, 'windows');
    assert.match(store.map((s) => s.text.en).join(' '), /Settings › Apps › Installed apps/);
    assert.equal(store.find((s) => s.command)?.command, 'Get-AppxPackage -Name 5319275A.WhatsAppDesktop | Remove-AppxPackage');
    assert.match(
      removalSteps({ source: 'bundle', scope: 'machine', name: 'Signal', location: '/Applications/Signal.app' }, 'macos')
        .map((s) => s.text.en)
        .join(' '),
      /Bin/,
    );
    assert.match(
      removalSteps({ source: 'appimage', scope: 'user', name: 'x', location: '/home/a/Downloads/Telegram.AppImage' }, 'linux')[1]!
        .text.de,
      /Löschen Sie die Datei: \/home\/a\/Downloads\/Telegram\.AppImage/,
    );
    assert.equal(
      describeInstall({ source: 'appimage', scope: 'user', name: 'x', location: '/home/a/Downloads/T.AppImage' }).en,
      'AppImage file in the folder “Downloads”',
    );
  });

  it('offers no command for an identifier that breaks the tool’s naming rule', () => {
    for (const id of ['foo; rm -rf ~', 'foo bar', '$(curl evil)', 'a`b`', '-rf', 'x'.repeat(300), 'Telegram Desktop'])
      for (const source of ['dpkg', 'rpm', 'flatpak', 'snap', 'appx'] as const) {
        const i = { source, scope: 'user' as const, name: id, id, location: `/snap/${id}` };
        assert.equal(removalId(i), undefined, `${source}: ${id}`);
        assert.deepEqual(commands(i, 'linux'), [], `${source}: ${id}`);
      }
  });
});
