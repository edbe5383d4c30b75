import { containerInfo } from '../container.js';
import type { CatalogApp } from '../types.js';

const WINGET = 'github:microsoft/winget-pkgs:manifests/s/StefanMalzner/Franz/5.11.0/StefanMalzner.Franz.installer.yaml@261d59f8';
const CASK = 'github:Homebrew/homebrew-cask:Casks/f/franz.rb@091e99a7';

/** "Franz" is also a first name: on Windows the name counts with Franz's uninstall key or an installer's version suffix only. */
export const franz: CatalogApp = {
  id: 'franz',
  name: 'Franz',
  vendor: 'Stefan Malzner (meetfranz.com)',
  desktopClient: 'official',
  status: 'Windows: per-user NSIS installer (electron-builder). macOS: Franz.app. Linux: .deb/AppImage.',
  container: containerInfo('Franz', ['whatsapp', 'facebook-messenger', 'telegram', 'skype']),
  windows: {
    uninstallKeys: [{ values: ['41ea870c-e358-5c9f-80c2-feeb2c3c8132'], source: `${WINGET} (ProductCode)` }],
    names: [
      {
        pattern: String.raw`Franz\s+\d+(?:\.\d+)+`,
        source: WINGET,
        note: 'electron-builder DisplayName "Franz 5.11.0"; the bare word is a first name',
      },
    ],
  },
  macos: {
    bundleIds: [{ values: ['com.meetfranz.franz'], source: `${CASK} (uninstall signal:)` }],
    processes: [{ values: ['Franz'], source: CASK, note: 'Franz.app/Contents/MacOS/Franz' }],
  },
  notThis: ['people and other products called Franz (no name rule on macOS and Linux)'],
};
