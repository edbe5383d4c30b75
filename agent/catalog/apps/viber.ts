import { versioned } from '../patterns.js';
import { UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const WINGET = 'github:microsoft/winget-pkgs:manifests/r/Rakuten/Viber/28.10.0.0/Rakuten.Viber.installer.yaml@d9a82709';
const FLATHUB = 'github:flathub/com.viber.Viber:com.viber.Viber.json@03c5ba0b';

/**
 * The Windows MSI changes its ProductCode (= Uninstall key) with every release; only the UpgradeCode is stable, and it is
 * not the key name, so Windows goes by the anchored name. The Store package is only known by a wildcard (*Viber*): left out.
 */
export const viber: CatalogApp = {
  id: 'viber',
  name: 'Viber (Rakuten Viber)',
  vendor: 'Rakuten / Viber Media S.à r.l.',
  desktopClient: 'official',
  status: 'Windows: machine-wide MSI/EXE. macOS: Viber.app. Linux: viber.deb and flatpak.',
  windows: {
    names: [{ pattern: versioned('Viber'), source: `${WINGET} ; ${UNATTRIBUTED} (regex ^Viber\\b)` }],
    processes: [{ values: ['Viber.exe'], source: `${WINGET} ; ${UNATTRIBUTED} (%LocalAppData%\\Viber\\Viber.exe)` }],
  },
  macos: {
    bundleIds: [{ values: ['com.viber.osx'], source: 'github:Homebrew/homebrew-cask:Casks/v/viber.rb@0450b0a8' }],
    names: [{ pattern: 'Viber', source: 'github:Homebrew/homebrew-cask:Casks/v/viber.rb@0450b0a8' }],
    processes: [{ values: ['Viber'], source: UNATTRIBUTED }],
  },
  linux: {
    flatpakIds: [{ values: ['com.viber.Viber'], source: FLATHUB }],
    desktopIds: [{ values: ['viber.desktop', 'com.viber.Viber.desktop'], source: FLATHUB }],
    names: [{ pattern: 'Viber', source: FLATHUB }],
    processes: [{ values: ['Viber'], source: `${FLATHUB} (/opt/viber/Viber)` }],
  },
  notThis: ['TeamViewer', 'Vibe / Vibrato and other names that merely contain "vibe"'],
};
