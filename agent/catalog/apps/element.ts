import { versioned } from '../patterns.js';
import type { CatalogApp } from '../types.js';

const WINGET = 'github:microsoft/winget-pkgs:manifests/e/Element/Element/1.11.112/Element.Element.installer.yaml@bd9880e4';
const FLATHUB = 'github:flathub/im.riot.Riot:im.riot.Riot.yaml@0055fc4d';

/**
 * "Element" is generic (Karabiner-Elements, Photoshop Elements, chemistry tools), so outside Windows only the exact ids count
 * and on Windows the name needs Element's publisher. Ids still carry the old name Riot (im.riot.app, im.riot.Riot).
 */
export const element: CatalogApp = {
  id: 'element',
  name: 'Element (Matrix)',
  vendor: 'Element (New Vector Ltd)',
  desktopClient: 'official',
  status:
    'Windows: per-user Squirrel install (key element-desktop). macOS: Element.app / Element Nightly.app. Linux: element-desktop .deb and flatpak.',
  windows: {
    uninstallKeys: [{ values: ['element-desktop'], source: WINGET, note: 'Squirrel ProductCode, HKCU' }],
    names: [
      {
        pattern: versioned('Element(?: Nightly)?'),
        publisher: 'Element|New Vector Ltd\\.?|Element \\(New Vector Ltd\\)',
        source:
          'github:microsoft/winget-pkgs:manifests/e/Element/Element/1.11.112/Element.Element.locale.en-US.yaml@73ddb8a4 (Publisher Element, Author New Vector Ltd)',
        unverified: 'which of the two strings the Squirrel entry carries was not captured',
      },
      {
        pattern: versioned('SchildiChat'),
        source:
          'github:microsoft/winget-pkgs:manifests/s/SchildiChat/SchildiChat/1.11.36-sc.3/SchildiChat.SchildiChat.installer.yaml@609795f2 (PackageName)',
        note: 'a fork of Element Desktop; other Matrix clients (Nheko, NeoChat, Fractal) are not Element and are not matched',
        thirdParty: 'SchildiChat',
        unverified: 'ARP DisplayName taken from the winget package name',
      },
    ],
  },
  macos: {
    bundleIds: [
      {
        values: ['im.riot.app'],
        source: 'github:Homebrew/homebrew-cask:Casks/e/element.rb@011b1de4 ; element@nightly.rb@01234c10',
      },
    ],
  },
  linux: {
    flatpakIds: [{ values: ['im.riot.Riot'], source: FLATHUB }],
    packages: [
      {
        values: ['element-desktop'],
        source: `${FLATHUB} (element-desktop tarball) ; packages.element.io/debian pool (via reference)`,
      },
    ],
    desktopIds: [
      { values: ['im.riot.Riot.desktop'], source: FLATHUB },
      {
        values: ['element-desktop.desktop'],
        source: 'packages.element.io/debian element-desktop package (electron-builder names the desktop file after the package)',
      },
    ],
    names: [
      {
        // Anchored: "Karabiner-Elements", "Photoshop Elements" or "Elements" never pass.
        pattern: versioned('Element(?: Nightly)?'),
        source: 'element-desktop .desktop Name=Element; community AppImages are named Element-<version>.AppImage',
        sources: ['appimage'],
        note: 'AppImages only: they carry nothing but a file name; desktop entries called just "Element" can be other apps (see the look-alike table)',
      },
    ],
  },
  notThis: [
    'Karabiner-Elements',
    'Photoshop Elements / Premiere Elements',
    'Element (chemistry apps)',
    'other Matrix clients (FluffyChat, Nheko, SchildiChat)',
  ],
};
