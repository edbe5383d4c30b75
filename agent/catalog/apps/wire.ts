import { versioned } from '../patterns.js';
import type { CatalogApp } from '../types.js';

const BUILD = 'github:wireapp/wire-desktop:bin/build-tools/lib/build-windows-installer.ts@01e9181b';

/**
 * "Wire" is a substring of WireGuard, Wireshark, Teamwire, NetNewsWire: only the whole name counts. Its Windows publisher
 * string was not found in any source, so the Windows name rule has none (the anchored whole-name match is the guard).
 */
export const wire: CatalogApp = {
  id: 'wire',
  name: 'Wire',
  vendor: 'Wire Swiss GmbH',
  desktopClient: 'official',
  status:
    'Windows: Squirrel installer Wire-Setup.exe. macOS: Wire.pkg (GitHub releases). Linux: wire-desktop .deb, flatpak, snap.',
  windows: {
    names: [
      {
        pattern: versioned('Wire'),
        source:
          'github:TakataSanshiro/Chocolatey-Packages:automatic/wire/tools/chocolateyinstall.ps1@05fc23ea (softwareName "Wire")',
      },
    ],
    processes: [
      {
        values: ['Wire.exe'],
        source: BUILD,
        unverified: 'derived from the build config `${name}.exe` with production name "Wire"',
      },
    ],
  },
  macos: {
    bundleIds: [{ values: ['com.wearezeta.zclient.mac'], source: 'github:Homebrew/homebrew-cask:Casks/w/wire.rb@00e5a174' }],
  },
  linux: {
    flatpakIds: [
      { values: ['com.wire.WireDesktop'], source: 'github:flathub/com.wire.WireDesktop:com.wire.WireDesktop.yaml@0bda4859' },
    ],
    snapNames: [{ values: ['wire'], source: 'github:snapcrafters/wire:snap/snapcraft.yaml@076f6832' }],
    packages: [{ values: ['wire-desktop'], source: 'github:flathub/com.wire.WireDesktop:com.wire.WireDesktop.yaml@0bda4859' }],
    desktopIds: [
      { values: ['wire-desktop.desktop'], source: 'github:flathub/com.wire.WireDesktop:com.wire.WireDesktop.yaml@0bda4859' },
    ],
    processes: [
      { values: ['wire-desktop'], source: 'github:snapcrafters/wire:snap/snapcraft.yaml@076f6832 (/opt/Wire/wire-desktop)' },
    ],
  },
  notThis: ['WireGuard', 'Wireshark', 'Teamwire', 'Balsamiq Wireframes', 'NetNewsWire'],
};
