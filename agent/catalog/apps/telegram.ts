import { IOS_APP_SOURCE, IOS_APP_UNVERIFIED, versioned } from '../patterns.js';
import { UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const WINGET_BETA =
  'github:microsoft/winget-pkgs:manifests/t/Telegram/TelegramDesktop/Beta/6.4.3/Telegram.TelegramDesktop.Beta.installer.yaml@155d3609';
const WINGET =
  'github:microsoft/winget-pkgs:manifests/t/Telegram/TelegramDesktop/5.10.0/Telegram.TelegramDesktop.installer.yaml@373a603d';
const DEBIAN = 'Debian 12 archive: telegram-desktop 4.6.5+ds-2+deb12u1 (dpkg -L on the build machine)';
const WINGET_INDEX = 'github:svrooij/winget-pkgs-index:index.v2.json@7ac59ed7 (generated from microsoft/winget-pkgs, 2026-08-22)';
const AYUGRAM_WINGET =
  'github:microsoft/winget-pkgs:manifests/r/RadolynLabs/AyuGramDesktop/7.0.9/RadolynLabs.AyuGramDesktop.installer.yaml@62a04ae5';
const MATERIALGRAM_WINGET =
  'github:microsoft/winget-pkgs:manifests/k/kukuruzka165/materialgram/7.0.5.1/kukuruzka165.materialgram.installer.yaml@13dddff0';
const AYUGRAM_CASK = 'github:Homebrew/homebrew-cask:Casks/a/ayugram.rb@039c7b3b';
const TELEGRAM_A_CASK = 'github:Homebrew/homebrew-cask:Casks/t/telegram-a.rb@093f8039';
/** tdesktop forks: unofficial Telegram clients built from Telegram's own source. */
const FORKS = '64Gram|Kotatogram|AyuGram|materialgram|Forkgram|FAgram';

/**
 * Forks of tdesktop (64Gram, Kotatogram, AyuGram, materialgram, Forkgram, FAgram) are unofficial Telegram clients: matched
 * as third-party clients by their own names and ids, and by the uninstall key where they keep tdesktop's Inno AppId.
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
      {
        pattern: versioned('(?:64Gram|Kotatogram|FAgram)(?: Desktop)?'),
        source: `${WINGET_INDEX}: 64Gram.64Gram "64Gram Desktop", Kotatogram.Kotatogram "Kotatogram Desktop", RadolynLabs.AyuGramDesktop, kukuruzka165.materialgram, Forkgram.Forkgram, FajoX1.FAgramDesktop "FAgram"`,
        note: 'installers of 64Gram, Kotatogram and FAgram; AyuGram, materialgram and Forkgram ship as portable zips (no entry)',
        thirdParty: 'tdesktop forks (64Gram, Kotatogram, AyuGram, materialgram, Forkgram, FAgram)',
        unverified: 'DisplayName taken from the winget package name, not a captured Uninstall entry',
      },
    ],
    processes: [
      {
        values: ['Telegram.exe'],
        source: WINGET,
        note: 'installed and portable builds (portable: <folder>\\Telegram\\Telegram.exe); Forkgram keeps the name',
      },
      {
        values: ['AyuGram.exe', 'materialgram.exe'],
        source: `${AYUGRAM_WINGET} ; ${MATERIALGRAM_WINGET} (portable zip, NestedInstallerFiles)`,
        thirdParty: 'AyuGram, materialgram',
      },
      {
        values: ['64Gram.exe', 'Kotatogram.exe'],
        source: WINGET_INDEX,
        thirdParty: '64Gram, Kotatogram',
        unverified: 'executable names follow the product names; not seen in a manifest',
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
      {
        values: ['org.telegram.TelegramA'],
        source: `${TELEGRAM_A_CASK} (zap: Preferences/org.telegram.TelegramA.plist)`,
        note: 'Telegram Web A packaged as an app (homepage web.telegram.org/a/get)',
      },
      {
        values: ['one.ayugram.AyuGramDesktop'],
        source: `${AYUGRAM_CASK} (zap: Saved Application State/one.ayugram.AyuGramDesktop.savedState)`,
        thirdParty: 'AyuGram',
      },
    ],
    names: [
      {
        pattern: 'Telegram(?: Desktop)?(?: Beta)?',
        source: 'github:Homebrew/homebrew-cask:Casks/t/telegram-desktop.rb@02af1651',
      },
      { pattern: 'Telegram A', source: TELEGRAM_A_CASK },
      { pattern: `(?:${FORKS})(?: Desktop)?`, source: AYUGRAM_CASK, thirdParty: 'tdesktop forks' },
    ],
    processes: [{ values: ['Telegram'], source: UNATTRIBUTED, note: 'executable of both macOS apps' }],
  },
  linux: {
    flatpakIds: [
      { values: ['org.telegram.desktop'], source: 'github:flathub/org.telegram.desktop:org.telegram.desktop.yml@001729b2' },
      {
        values: ['io.github.kotatogram'],
        source: `github:kotatogram/kotatogram-desktop README (flathub.org/apps/details/io.github.kotatogram) ; ${UNATTRIBUTED}`,
        thirdParty: 'Kotatogram',
      },
      {
        values: ['io.github.tdesktop_x64.TDesktop'],
        source: `${UNATTRIBUTED} (flatpak install lists: "io.github.tdesktop_x64.TDesktop # 64Gram")`,
        thirdParty: '64Gram',
      },
      {
        values: ['com.ayugram.desktop'],
        source: `${UNATTRIBUTED} (rpm spec: metainfo/com.ayugram.desktop.metainfo.xml; flatpak app id in install scripts)`,
        thirdParty: 'AyuGram',
      },
      {
        values: ['io.github.kukuruzka165.materialgram'],
        source: `${UNATTRIBUTED} (window rules next to com.ayugram.desktop and org.telegram.desktop)`,
        thirdParty: 'materialgram',
        unverified: 'seen only as a window class; the id names the author and the app, so it cannot be another product',
      },
    ],
    snapNames: [{ values: ['telegram-desktop'], source: 'github:telegramdesktop/tdesktop:snap/snapcraft.yaml@001202a2' }],
    packages: [{ values: ['telegram-desktop'], source: DEBIAN }],
    desktopIds: [
      { values: ['org.telegram.desktop.desktop'], source: `${DEBIAN} ; snap and flatpak use the same id` },
      {
        values: [
          'io.github.kotatogram.desktop',
          'io.github.tdesktop_x64.TDesktop.desktop',
          'com.ayugram.desktop.desktop',
          'io.github.kukuruzka165.materialgram.desktop',
        ],
        source: `${UNATTRIBUTED} (desktop-file lists and mime defaults naming these files)`,
        thirdParty: 'Kotatogram, 64Gram, AyuGram, materialgram',
      },
    ],
    names: [
      { pattern: 'Telegram(?: Desktop)?', source: `${DEBIAN} (Name=Telegram Desktop)` },
      {
        pattern: `(?:${FORKS})(?: Desktop)?`,
        source: `${UNATTRIBUTED} (desktop entries "AyuGram Desktop", "Kotatogram Desktop")`,
        thirdParty: 'tdesktop forks',
      },
    ],
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
