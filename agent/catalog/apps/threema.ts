import { versioned } from '../patterns.js';
import type { CatalogApp } from '../types.js';

const WINGET_2 = 'github:microsoft/winget-pkgs:manifests/t/Threema/Threema/2/2.0.68.0/Threema.Threema.2.installer.yaml@8b919e0e';
const PACKAGING = 'github:threema-ch/threema-desktop:packaging/main.ts@0193eea6';
const NAME = 'Threema(?: Work| OnPrem)?(?:[ -]Beta)?';

/**
 * Decision: Threema Work and Threema OnPrem are the same messenger for business customers and belong to this entry;
 * a policy that bans Threema bans them too. The unofficial "Threema For Desktop" wrapper is a Threema client as well.
 */
export const threema: CatalogApp = {
  id: 'threema',
  name: 'Threema',
  vendor: 'Threema GmbH',
  desktopClient: 'official',
  status:
    'Desktop 1.x (Electron wrapper of Threema Web, per-user) is being replaced by "Threema for desktop" 2.x (MSIX, DMG named "… Beta", flatpak). ' +
    'Consumer, Work and OnPrem flavours.',
  windows: {
    appxNames: [{ values: ['Threema.Desktop.Consumer', 'Threema.Desktop.Work', 'Threema.Desktop.OnPrem'], source: WINGET_2 }],
    appxFamilies: [
      {
        values: [
          'Threema.Desktop.Consumer_cvh4qa9n1gk2r',
          'Threema.Desktop.Work_cvh4qa9n1gk2r',
          'Threema.Desktop.OnPrem_cvh4qa9n1gk2r',
        ],
        source: `${WINGET_2} ; Threema.Threema.Work.2@8f4d803f ; Threema.Threema.OnPrem.2@727f6e90`,
      },
    ],
    uninstallKeys: [
      {
        values: ['threema_web'],
        source: 'github:microsoft/winget-pkgs:manifests/t/Threema/Threema/1.2.50/Threema.Threema.installer.yaml@1a655fca',
        note: '1.x per-user client',
      },
    ],
    names: [
      { pattern: versioned(NAME), source: `${PACKAGING} (app names "Threema Beta", "Threema Work Beta")` },
      {
        pattern: 'Threema For Desktop',
        source: 'reference falsePositiveRisks: GeekCornerGH/threema-for-desktop',
        note: 'unofficial client, still a Threema client',
        thirdParty: 'Threema For Desktop',
      },
    ],
    processes: [
      { values: ['ThreemaDesktop.exe'], source: 'github:threema-ch/threema-desktop:packaging/msix/AppxManifest.xml@450d391d' },
    ],
  },
  macos: {
    bundleIds: [
      {
        values: ['ch.threema.threema-desktop'],
        source: 'github:Homebrew/homebrew-cask:Casks/t/threema@beta.rb@0c5929ab (prefs plist)',
      },
      {
        values: ['ch.threema.threema-work-desktop'],
        source: PACKAGING,
        unverified: 'reverse-DNS id of the Work flavour in the packaging script, assumed to be its bundle id',
      },
    ],
    names: [
      {
        pattern: NAME,
        source: 'github:Homebrew/homebrew-cask:Casks/t/threema.rb@070efe45 ; threema-work.rb@2376fc94 ; threema@beta.rb@0c5929ab',
      },
      {
        pattern: 'Threema For Desktop',
        source: 'reference falsePositiveRisks: GeekCornerGH/threema-for-desktop',
        thirdParty: 'Threema For Desktop',
      },
    ],
  },
  linux: {
    flatpakIds: [
      {
        values: ['ch.threema.threema-desktop'],
        source: 'github:threema-ch/threema-desktop:packaging/flatpak/README.md@aef4ab4d',
      },
      { values: ['ch.threema.threema-work-desktop'], source: PACKAGING, unverified: 'assumed flatpak id of the Work flavour' },
    ],
    desktopIds: [
      {
        values: ['ch.threema.threema-desktop.desktop'],
        source: 'github:threema-ch/threema-desktop:packaging/metadata/ch.threema.threema-desktop.desktop@4ba37570',
      },
    ],
    names: [
      {
        pattern: NAME,
        source: 'github:threema-ch/threema-desktop:packaging/metadata/ch.threema.threema-desktop.desktop@4ba37570 (Name=Threema)',
      },
    ],
  },
};
