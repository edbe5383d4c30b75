import { containerInfo } from '../container.js';
import { versioned } from '../patterns.js';
import { UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const WINGET = 'github:microsoft/winget-pkgs:manifests/f/Ferdium/Ferdium/7.2.0/Ferdium.Ferdium.installer.yaml@87c04f5c';
const CASK = 'github:Homebrew/homebrew-cask:Casks/f/ferdium.rb@04e32a18';

/** Ferdium (a fork of Franz via Ferdi): hosts any web messenger as a "service" tab. */
export const ferdium: CatalogApp = {
  id: 'ferdium',
  name: 'Ferdium',
  vendor: 'Ferdium contributors',
  desktopClient: 'official',
  status: 'Windows: per-user NSIS installer (stable, Beta, Nightly). macOS: Ferdium.app. Linux: flatpak, AppImage, .deb.',
  container: containerInfo('Ferdium', ['whatsapp', 'telegram', 'facebook-messenger', 'discord', 'signal']),
  windows: {
    names: [
      {
        pattern: versioned('Ferdium(?: Beta| Nightly)?'),
        source: `${WINGET} ; winget index: Ferdium.Ferdium.Beta, Ferdium.Ferdium.Nightly`,
        note: 'electron-builder DisplayName "${productName} ${version}"',
      },
    ],
    processes: [
      { values: ['Ferdium.exe'], source: WINGET, unverified: 'electron-builder names the executable after the product' },
    ],
  },
  macos: {
    bundleIds: [{ values: ['com.ferdium.ferdium-app'], source: `${CASK} (uninstall quit:)` }],
    names: [{ pattern: 'Ferdium', source: CASK }],
    processes: [{ values: ['Ferdium'], source: CASK }],
  },
  linux: {
    flatpakIds: [{ values: ['org.ferdium.Ferdium'], source: `${UNATTRIBUTED} (flatpak install lines, D-Bus name)` }],
    desktopIds: [{ values: ['org.ferdium.Ferdium.desktop'], source: `${UNATTRIBUTED} (flatpak id + .desktop)` }],
    names: [{ pattern: 'Ferdium', source: CASK }],
    processes: [{ values: ['ferdium'], source: UNATTRIBUTED, unverified: 'the .deb installs /opt/Ferdium/ferdium' }],
  },
  notThis: ['Ferdi and Franz (their own entries or none)'],
};
