import { containerInfo } from '../container.js';
import { versioned } from '../patterns.js';
import type { CatalogApp } from '../types.js';

const WINGET = 'github:microsoft/winget-pkgs:manifests/b/Beeper/Beeper/4.3.57/Beeper.Beeper.installer.yaml@392ffad0';
const CASK = 'github:Homebrew/homebrew-cask:Casks/b/beeper.rb@00342411';

/** Beeper bridges WhatsApp, Telegram, Signal, Messenger, Discord … into one Matrix-based inbox (bridges run on its servers). */
export const beeper: CatalogApp = {
  id: 'beeper',
  name: 'Beeper',
  vendor: 'Beeper (Automattic)',
  desktopClient: 'official',
  status: 'Windows: per-user NSIS installer. macOS: "Beeper Desktop.app". Linux: AppImage.',
  container: containerInfo('Beeper', ['whatsapp', 'telegram', 'signal', 'facebook-messenger', 'discord', 'instagram']),
  windows: {
    uninstallKeys: [{ values: ['4005ec12-b235-5981-b49e-4005d478a398'], source: `${WINGET} (ProductCode)` }],
    names: [{ pattern: versioned('Beeper(?: Desktop)?'), source: WINGET }],
  },
  macos: {
    bundleIds: [{ values: ['com.automattic.beeper.desktop'], source: `${CASK} (livecheck bundleID=, zap paths)` }],
    names: [{ pattern: 'Beeper(?: Desktop)?', source: CASK }],
  },
  linux: {
    names: [
      {
        pattern: versioned('Beeper(?: Desktop)?'),
        sources: ['appimage'],
        source: WINGET,
        unverified: 'AppImage file name assumed from the product name',
      },
    ],
  },
};
