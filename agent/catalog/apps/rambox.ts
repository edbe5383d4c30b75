import { containerInfo } from '../container.js';
import { versioned } from '../patterns.js';
import type { CatalogApp } from '../types.js';

const WINGET = 'github:microsoft/winget-pkgs:manifests/r/Rambox/Rambox/2.7.1/Rambox.Rambox.installer.yaml@87c04f5c';
const CASK = 'github:Homebrew/homebrew-cask:Casks/r/rambox.rb@041cc140';

export const rambox: CatalogApp = {
  id: 'rambox',
  name: 'Rambox',
  vendor: 'Rambox LLC',
  desktopClient: 'official',
  status:
    'Windows: NSIS installer (user or machine); the older Community Edition too. macOS: Rambox.app. Linux: AppImage, .deb, snap.',
  container: containerInfo('Rambox', ['whatsapp', 'telegram', 'facebook-messenger', 'discord', 'skype']),
  windows: {
    uninstallKeys: [{ values: ['a53f4587-45c2-53bd-bc06-9f53011c5a65'], source: `${WINGET} (ProductCode)` }],
    names: [{ pattern: versioned('Rambox(?: CE)?'), source: `${WINGET} ; winget index: Rambox.Rambox.Community` }],
    processes: [
      { values: ['Rambox.exe'], source: WINGET, unverified: 'electron-builder names the executable after the product' },
    ],
  },
  macos: {
    bundleIds: [
      {
        values: ['com.grupovrs.ramboxce', 'com.saenzramiro.rambox'],
        source: `${CASK} (zap: Caches/Preferences named by bundle id)`,
        note: 'Community Edition and the original Rambox',
      },
    ],
    names: [{ pattern: 'Rambox', source: CASK }],
    processes: [{ values: ['Rambox'], source: CASK }],
  },
  linux: {
    names: [{ pattern: 'Rambox', source: WINGET, note: 'AppImage and .desktop Name', unverified: 'Linux records not captured' }],
  },
};
