import { IOS_APP_SOURCE, IOS_APP_UNVERIFIED, versioned } from '../patterns.js';
import { UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const WINGET_BETA =
  'github:microsoft/winget-pkgs:manifests/t/Telegram/TelegramDesktop/Beta/6.4.3/Telegram.TelegramDesktop.Beta.installer.yaml@155d3609';
const WINGET =
  'github:microsoft/winget-pkgs:manifests/t/Telegram/TelegramDesktop/5.10.0/Telegram.TelegramDesktop.installer.yaml@373a603d';
const DEBIAN = 'Debian 12 archive: telegram-desktop 4.6.5+ds-2+deb12u1 (dpkg -L on the build machine)';

/**
 * Forks of tdesktop that keep its Inno AppId are matched by the uninstall key too; they are Telegram clients all the same.
 * "Telegram …" tools with their own installers (e.g. "Telegram Media Downloader") are not: the name rule is anchored.
 */
export const telegram: CatalogApp = {
  id: 'telegram',
  name: 'Telegram',
  vendor: 'Telegram FZ-LLC',
  desktopClient: 'official',
  status:
    'Windows: per-user Inno installer in %AppData% (stable and Beta share the AppId), a portable zip (no registry entry; only the process shows) ' +
    'and a Store package. macOS: two apps (native "Telegram", Qt "Telegram Desktop"). Linux: Debian package, flatpak, snap.',
  windows: {
    appxNames: [{ values: ['TelegramMessengerLLP.TelegramDesktop'], source: UNATTRIBUTED }],
    appxFamilies: [{ values: ['TelegramMessengerLLP.TelegramDesktop_t4vj0pshhgkwm'], source: UNATTRIBUTED }],
    uninstallKeys: [
      {
        values: ['{53F49750-6209-4FBF-9CA8-7A333C87D1ED}_is1'],
        source: WINGET_BETA,
        note: 'HKCU; older installs HKLM; Beta uses it too',
      },
    ],
    names: [
      {
        pattern: versioned('Telegram Desktop(?: Beta)?'),
        source: WINGET_BETA,
        note: 'ARP DisplayName "Telegram Desktop"; Inno may add "version x.y"',
      },
    ],
    processes: [
      {
        values: ['Telegram.exe'],
        source: WINGET,
        note: 'installed and portable builds (portable: <folder>\\Telegram\\Telegram.exe)',
      },
    ],
  },
  macos: {
    bundleIds: [
      {
        values: ['ru.keepcoder.Telegram'],
        source: 'github:Homebrew/homebrew-cask:Casks/t/telegram.rb@0130b764',
        note: 'native "Telegram for macOS"',
      },
      {
        values: ['com.tdesktop.Telegram'],
        source: 'github:Homebrew/homebrew-cask:Casks/t/telegram-desktop.rb@02af1651 ; Casks/t/telegram-desktop@beta.rb@01eb38ec',
        note: 'Qt "Telegram Desktop"',
      },
      { values: ['ph.telegra.Telegraph'], source: IOS_APP_SOURCE, unverified: IOS_APP_UNVERIFIED },
    ],
    names: [
      {
        pattern: 'Telegram(?: Desktop)?(?: Beta)?',
        source: 'github:Homebrew/homebrew-cask:Casks/t/telegram-desktop.rb@02af1651',
      },
    ],
    processes: [{ values: ['Telegram'], source: UNATTRIBUTED, note: 'executable of both macOS apps' }],
  },
  linux: {
    flatpakIds: [
      { values: ['org.telegram.desktop'], source: 'github:flathub/org.telegram.desktop:org.telegram.desktop.yml@001729b2' },
    ],
    snapNames: [{ values: ['telegram-desktop'], source: 'github:telegramdesktop/tdesktop:snap/snapcraft.yaml@001202a2' }],
    packages: [{ values: ['telegram-desktop'], source: DEBIAN }],
    desktopIds: [{ values: ['org.telegram.desktop.desktop'], source: `${DEBIAN} ; snap and flatpak use the same id` }],
    names: [{ pattern: 'Telegram(?: Desktop)?', source: `${DEBIAN} (Name=Telegram Desktop)` }],
    processes: [
      {
        values: ['telegram-desktop'],
        source: DEBIAN,
        note: '/usr/bin/telegram-desktop; the kernel shows it cut to "telegram-deskto"',
      },
      {
        values: ['Telegram'],
        source: 'github:telegramdesktop/tdesktop:snap/snapcraft.yaml@001202a2',
        note: 'binary name of the upstream tarball',
      },
    ],
  },
  notThis: ['Telegraph', 'Telegram Media Downloader and other "Telegram …" tools', 'Telegram bots'],
};
