import { versioned, WEB_APP_SOURCE } from '../patterns.js';
import { DEBLOAT_LEDRAGOX, ENDPOINT_TABLE, UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

/**
 * WhatsApp Business is matched as WhatsApp on purpose: same service, same data-protection problem.
 * Linux has no official client; the unofficial "WhatsApp for Linux" wrapper is matched instead.
 */
export const whatsapp: CatalogApp = {
  id: 'whatsapp',
  name: 'WhatsApp',
  vendor: 'WhatsApp LLC (Meta Platforms)',
  desktopClient: 'official',
  status:
    'Windows: Microsoft Store package since 2023 (the per-user Squirrel client expired), a WebView2 wrapper of web.whatsapp.com since 2025. ' +
    'macOS: native app (direct and Mac App Store). Linux: web only; unofficial wrappers exist.',
  windows: {
    appxNames: [
      { values: ['5319275A.WhatsAppDesktop'], source: DEBLOAT_LEDRAGOX },
      {
        values: ['5319275A.51895FA4EA97F'],
        source: UNATTRIBUTED,
        note: 'WhatsApp Beta (Store); the opaque name is why name rules alone miss it',
        unverified: 'one unattributed source; the id cannot belong to another product (WhatsApp publisher prefix 5319275A)',
      },
    ],
    appxFamilies: [
      {
        values: ['5319275A.WhatsAppDesktop_cv1g1gvanyjgm', '5319275A.51895FA4EA97F_cv1g1gvanyjgm'],
        source: UNATTRIBUTED,
        note: 'stable and Beta share the publisher hash cv1g1gvanyjgm',
      },
    ],
    names: [
      {
        pattern: versioned('WhatsApp(?: Beta| Desktop| Business| Web)?'),
        source:
          'github:microsoft/winget-pkgs:manifests/w/WhatsApp/WhatsApp/2.2228.14/WhatsApp.WhatsApp.locale.en-US.yaml@068b782a',
        note: 'legacy Squirrel install (HKCU) and browser-installed web app (' + WEB_APP_SOURCE + ')',
      },
    ],
    processes: [
      {
        values: ['WhatsApp.exe'],
        source: 'github:microsoft/winget-pkgs:manifests/w/WhatsApp/WhatsApp/2.2326.10/WhatsApp.WhatsApp.installer.yaml@45dde173',
        note: 'legacy client and Store Beta (…\\WindowsApps\\5319275A.51895FA4EA97F_…\\WhatsApp.exe)',
      },
    ],
  },
  macos: {
    bundleIds: [
      {
        values: ['net.whatsapp.WhatsApp'],
        source: 'github:Homebrew/homebrew-cask:Casks/w/whatsapp.rb@00c4afea ; Casks/w/whatsapp@beta.rb@002aef37',
        note: 'stable and Beta share the bundle id',
      },
      {
        values: ['desktop.WhatsApp'],
        source: ENDPOINT_TABLE,
        note: 'legacy Electron build',
        unverified: 'one third-party table; kept because the id cannot belong to another product',
      },
    ],
    names: [{ pattern: 'WhatsApp(?: Beta| Business)?', source: 'github:Homebrew/homebrew-cask:Casks/w/whatsapp.rb@00c4afea' }],
    processes: [{ values: ['WhatsApp'], source: ENDPOINT_TABLE }],
  },
  linux: {
    flatpakIds: [
      {
        values: ['com.github.eneshecan.WhatsAppForLinux'],
        source: 'github:flathub/com.github.eneshecan.WhatsAppForLinux:README.md@bb971911',
        note: 'unofficial client "WhatsApp for Linux"',
      },
    ],
    snapNames: [
      {
        values: ['whatsapp-for-linux'],
        source: 'github:eneshecan/whatsapp-for-linux:package/snap/snapcraft.yaml@1c1c4a76',
        note: 'unofficial client',
      },
    ],
    desktopIds: [
      {
        values: ['whatsapp-for-linux.desktop', 'com.github.eneshecan.WhatsAppForLinux.desktop'],
        source:
          'github:eneshecan/whatsapp-for-linux:package/snap/snapcraft.yaml@1c1c4a76 ; resource/desktop/com.github.eneshecan.WhatsAppForLinux.desktop.in@0a2b9e66',
        note: 'unofficial client',
      },
    ],
    names: [
      {
        pattern: 'WhatsApp(?: for Linux| Web)?',
        source: 'github:eneshecan/whatsapp-for-linux:resource/desktop/com.github.eneshecan.WhatsAppForLinux.desktop.in@0a2b9e66',
        note: 'unofficial wrapper or a browser-installed web app',
      },
    ],
    processes: [
      { values: ['whatsapp-for-linux'], source: 'github:eneshecan/whatsapp-for-linux:package/snap/snapcraft.yaml@1c1c4a76' },
    ],
  },
  notThis: ['tools that only mention WhatsApp ("WhatsApp Media Downloader", "Backup for WhatsApp")'],
};
