import { versioned } from '../patterns.js';
import { DEBLOAT_RAPHIRE, ENDPOINT_TABLE, UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const FLATHUB = 'github:flathub/com.skype.Client:com.skype.Client.json@004bb6c0';

/** Skype for Business (Lync) is a different product and must not match; the anchored rule only allows a version after "Skype". */
export const skype: CatalogApp = {
  id: 'skype',
  name: 'Skype',
  vendor: 'Microsoft (Skype Technologies S.A.)',
  desktopClient: 'discontinued',
  status: 'Retired by Microsoft on 5 May 2025 (users moved to Teams Free); leftover installs are still found.',
  windows: {
    appxNames: [{ values: ['Microsoft.SkypeApp'], source: DEBLOAT_RAPHIRE, note: 'Skype (UWP)' }],
    appxFamilies: [{ values: ['Microsoft.SkypeApp_kzf8qxf38zg5c'], source: UNATTRIBUTED }],
    uninstallKeys: [
      {
        values: ['Skype_is1'],
        source: 'github:microsoft/winget-pkgs:manifests/m/Microsoft/Skype/8.150/Microsoft.Skype.installer.yaml@99bedb98',
      },
    ],
    names: [
      {
        pattern: versioned('Skype™?'),
        source:
          'github:saltstack/salt-winrepo-ng:skype.sls@83d4261c ("Skype version <ver>") ; skype-msi.sls@83d4261c ("Skype™ 7.18")',
      },
    ],
    processes: [{ values: ['Skype.exe'], source: UNATTRIBUTED }],
  },
  macos: {
    bundleIds: [{ values: ['com.skype.skype'], source: 'github:Homebrew/homebrew-cask:Casks/s/skype.rb@007fd5a4' }],
    names: [{ pattern: 'Skype', source: 'github:Homebrew/homebrew-cask:Casks/s/skype.rb@007fd5a4' }],
    processes: [
      { values: ['Skype'], source: `${ENDPOINT_TABLE} ; Installomator/Installomator@71741a85 fragments/labels/skype.sh` },
    ],
  },
  linux: {
    flatpakIds: [{ values: ['com.skype.Client'], source: FLATHUB }],
    packages: [{ values: ['skypeforlinux'], source: FLATHUB }],
    desktopIds: [{ values: ['skypeforlinux.desktop', 'com.skype.Client.desktop'], source: FLATHUB }],
    names: [{ pattern: 'Skype', source: FLATHUB }],
    processes: [{ values: ['skypeforlinux'], source: `${FLATHUB} (/usr/bin/skypeforlinux)` }],
  },
  notThis: ['Skype for Business (Lync)', 'Microsoft Teams'],
};
