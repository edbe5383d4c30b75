import { versioned } from '../patterns.js';
import { UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const PACKAGE_JSON = 'github:signalapp/Signal-Desktop:package.json@000200bd';
const BETA_SCRIPT = 'github:signalapp/Signal-Desktop:scripts/prepare_beta_build.js@1a5fc452';
const REGISTRY_CAPTURE = `${UNATTRIBUTED}: deployment notes with captured Uninstall entries (HKCU/HKU/HKLM, Signal 6.43.2 … 7.46.1)`;
const ELECTRON_BUILDER_KEY =
  'electron-builder NsisTarget: Uninstall key = UUID v5 of the appId in namespace 50e065bc-3134-11e6-9bab-38c9862bdaf3';

/**
 * "Signal" is a generic word (SignalRGB, Signal Hound Spike, libsignal), so the display name only counts with Signal's
 * publisher. electron-builder writes DisplayName "${productName} ${version}" ("Signal 7.40.0", "Signal Beta 7.41.0-beta.1").
 */
export const signal: CatalogApp = {
  id: 'signal',
  name: 'Signal',
  vendor: 'Signal Messenger, LLC',
  desktopClient: 'official',
  status:
    "Windows: per-user NSIS installer (%LocalAppData%\\Programs\\signal-desktop). macOS: Signal.app. Linux: Signal's own apt repository, flatpak, snap. Beta installs side by side.",
  windows: {
    uninstallKeys: [
      {
        values: ['7d96caee-06e6-597c-9f2f-c7bb2e0948b4'],
        source: `${REGISTRY_CAPTURE} ; ${ELECTRON_BUILDER_KEY} of org.whispersystems.signal-desktop`,
      },
      {
        values: ['b39ac3a0-cc73-5ec2-ba18-5ab3c4de1ca1'],
        source: `${ELECTRON_BUILDER_KEY} of org.whispersystems.signal-desktop-beta (${BETA_SCRIPT})`,
        note: 'Signal Beta',
        unverified: "computed, not captured; a UUID v5 of Signal's own appId cannot collide with another product",
      },
    ],
    names: [
      {
        pattern: versioned('Signal(?: Beta)?'),
        publisher: 'Signal Messenger,? LLC',
        source: `${REGISTRY_CAPTURE} ; ${PACKAGE_JSON} (author.name = Publisher)`,
      },
    ],
    processes: [
      {
        values: ['Signal.exe', 'Signal Beta.exe'],
        source: UNATTRIBUTED,
        note: '%LocalAppData%\\Programs\\signal-desktop(-beta)\\',
      },
    ],
  },
  macos: {
    bundleIds: [
      {
        values: ['org.whispersystems.signal-desktop'],
        source: `github:Homebrew/homebrew-cask:Casks/s/signal.rb@00277a83 ; ${PACKAGE_JSON}`,
      },
      { values: ['org.whispersystems.signal-desktop-beta'], source: BETA_SCRIPT, note: 'Signal Beta.app' },
    ],
    processes: [
      { values: ['Signal', 'Signal Beta'], source: `${PACKAGE_JSON} ; ${BETA_SCRIPT} (productName = executable name)` },
    ],
  },
  linux: {
    flatpakIds: [
      { values: ['org.signal.Signal'], source: 'github:flathub/org.signal.Signal:org.signal.Signal.yaml@0034f9d9' },
      {
        values: ['de.schmidhuberj.Flare', 'org.nanuc.Axolotl'],
        source: 'github:flathub/de.schmidhuberj.Flare ; github:flathub/org.nanuc.Axolotl (Flathub repositories, 2026-12-05)',
        note: 'GTK and Electron clients speaking the Signal protocol; their names ("Flare", "Axolotl") are too generic for name rules',
        thirdParty: 'Flare, Axolotl',
      },
    ],
    snapNames: [
      {
        values: ['signal-desktop'],
        source: 'github:snapcrafters/signal-desktop:snap/snapcraft.yaml@015c5f3d',
        note: "Snapcrafters' package of Signal's own app",
      },
    ],
    packages: [{ values: ['signal-desktop', 'signal-desktop-beta'], source: `${PACKAGE_JSON} (name) ; ${BETA_SCRIPT}` }],
    desktopIds: [
      {
        values: ['signal-desktop.desktop', 'org.signal.Signal.desktop'],
        source:
          'github:snapcrafters/signal-desktop:snap/snapcraft.yaml@015c5f3d ; github:flathub/org.signal.Signal:org.signal.Signal.yaml@0034f9d9',
      },
    ],
    names: [
      {
        // Anchored, so "SignalRGB" or "Signal Hound Spike" never pass; neither ships for Linux anyway.
        pattern: versioned('Signal(?: Desktop)?(?: Beta)?'),
        source:
          'signal-desktop .desktop Name=Signal (github:snapcrafters/signal-desktop:snap/snapcraft.yaml@015c5f3d); community AppImages Signal-<version>-x86_64.AppImage',
        sources: ['appimage'],
        note: 'AppImages only: they carry nothing but a file name; desktop entries called just "Signal" can be other apps (see the look-alike table)',
      },
    ],
    processes: [
      {
        values: ['signal-desktop', 'signal-desktop-beta'],
        source: 'github:flathub/org.signal.Signal:org.signal.Signal.yaml@0034f9d9 ; signal-desktop-beta.sh@0c899217',
        note: '/opt/Signal/signal-desktop',
      },
    ],
  },
  notThis: ['SignalRGB (WhirlwindFX)', 'Signal Hound Spike', 'libsignal', '"Signal …" apps of other publishers'],
};
