import { versioned, WEB_APP_SOURCE } from '../patterns.js';
import { DEBLOAT_LEDRAGOX, ENDPOINT_TABLE, UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const ZAPZAP = 'github:rafatosta/zapzap:share/applications/com.rtosta.zapzap.desktop@a880df86';
const WASISTLOS = 'github:xeco23/WasIstLos README (flathub.org/apps/details/com.github.xeco23.WasIstLos)';
const ALTUS = 'github:microsoft/winget-pkgs:manifests/a/AmanHarwara/Altus/5.8.1/AmanHarwara.Altus.installer.yaml@9a48a34d';
const ZEROWHATS = 'github:microsoft/winget-pkgs:manifests/z/ZauJulio/ZeroWhats/1.5.2/ZauJulio.ZeroWhats.installer.yaml@58615b07';

/**
 * WhatsApp Business is matched as WhatsApp on purpose: same service, same data-protection problem.
 * Linux has no official client; unofficial wrappers (WhatsApp for Linux/WasIstLos, ZapZap, WhatSie …) are matched
 * as third-party clients. "Altus" is a common word: on Windows it counts by its uninstall key or with its publisher.
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
      {
        pattern: versioned('Altus'),
        publisher: 'Aman Harwara',
        source: ALTUS,
        thirdParty: 'Altus',
        unverified: 'publisher spelling assumed from the author',
      },
      { pattern: versioned('ZeroWhats'), source: ZEROWHATS, thirdParty: 'ZeroWhats' },
    ],
    uninstallKeys: [
      {
        values: ['be25d1f4-3999-55bd-a6b3-0abfff8cb898'],
        source: `${ALTUS} (ProductCode; DisplayName "Altus 5.8.1")`,
        thirdParty: 'Altus',
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
        thirdParty: 'WhatsApp for Linux',
      },
      {
        values: ['com.github.xeco23.WasIstLos'],
        source: `${WASISTLOS} ; ${UNATTRIBUTED} (rpm spec %files, flathub.org/apps/details link in the README)`,
        thirdParty: 'WasIstLos (WhatsApp for Linux renamed)',
      },
      { values: ['com.rtosta.zapzap'], source: ZAPZAP, thirdParty: 'ZapZap' },
      {
        values: ['io.github.mimbrero.WhatsAppDesktop'],
        source:
          'https://flathub.org/apps/io.github.mimbrero.WhatsAppDesktop (as cited by github:OlegShchavelev/ALTRegularGnomeWiki)',
        thirdParty: 'WhatsApp Desktop (mimbrero)',
      },
      {
        values: ['com.ktechpit.whatsie'],
        source: `${UNATTRIBUTED} (rpm spec %files: applications/com.ktechpit.whatsie.desktop, flatpak install lines)`,
        thirdParty: 'WhatSie',
      },
      {
        values: ['io.github.tobagin.karere'],
        source: `${UNATTRIBUTED} (a table of WhatsApp web wrappers)`,
        thirdParty: 'Karere',
        unverified: 'one third-party table; the id names the app and its author, so it cannot be another product',
      },
    ],
    snapNames: [
      {
        values: ['whatsapp-for-linux'],
        source: 'github:eneshecan/whatsapp-for-linux:package/snap/snapcraft.yaml@1c1c4a76',
        thirdParty: 'WhatsApp for Linux',
      },
    ],
    packages: [
      { values: ['wasistlos'], source: `${UNATTRIBUTED} (rpm spec: %{_bindir}/wasistlos)`, thirdParty: 'WasIstLos' },
      { values: ['whatsie'], source: `${UNATTRIBUTED} (rpm spec: %{_bindir}/whatsie)`, thirdParty: 'WhatSie' },
    ],
    desktopIds: [
      {
        values: ['whatsapp-for-linux.desktop', 'com.github.eneshecan.WhatsAppForLinux.desktop'],
        source:
          'github:eneshecan/whatsapp-for-linux:package/snap/snapcraft.yaml@1c1c4a76 ; resource/desktop/com.github.eneshecan.WhatsAppForLinux.desktop.in@0a2b9e66',
        thirdParty: 'WhatsApp for Linux',
      },
      { values: ['com.github.xeco23.WasIstLos.desktop'], source: `${UNATTRIBUTED} (rpm spec %files)`, thirdParty: 'WasIstLos' },
      { values: ['com.rtosta.zapzap.desktop'], source: ZAPZAP, thirdParty: 'ZapZap' },
      {
        values: ['io.github.mimbrero.WhatsAppDesktop.desktop'],
        source: `${UNATTRIBUTED} (a launcher table: 'io.github.mimbrero.WhatsAppDesktop.desktop')`,
        thirdParty: 'WhatsApp Desktop (mimbrero)',
      },
      { values: ['com.ktechpit.whatsie.desktop'], source: `${UNATTRIBUTED} (rpm spec %files)`, thirdParty: 'WhatSie' },
    ],
    names: [
      {
        pattern: 'WhatsApp(?: for Linux| Web| Desktop)?',
        source: 'github:eneshecan/whatsapp-for-linux:resource/desktop/com.github.eneshecan.WhatsAppForLinux.desktop.in@0a2b9e66',
        note: 'unofficial wrappers or a browser-installed web app; all carry the service name',
        thirdParty: 'unofficial WhatsApp wrappers',
      },
      { pattern: 'ZapZap', source: ZAPZAP, thirdParty: 'ZapZap' },
      { pattern: 'WasIstLos', source: `${UNATTRIBUTED} (launcher tables: name "WasIstLos")`, thirdParty: 'WasIstLos' },
      { pattern: 'WhatSie', source: `${UNATTRIBUTED} (rpm spec)`, thirdParty: 'WhatSie' },
    ],
    processes: [
      {
        values: ['whatsapp-for-linux'],
        source: 'github:eneshecan/whatsapp-for-linux:package/snap/snapcraft.yaml@1c1c4a76',
        thirdParty: 'WhatsApp for Linux',
      },
      { values: ['wasistlos', 'whatsie'], source: `${UNATTRIBUTED} (rpm specs: %{_bindir})`, thirdParty: 'WasIstLos, WhatSie' },
      { values: ['zapzap'], source: ZAPZAP, thirdParty: 'ZapZap', unverified: 'executable name of the Python package' },
    ],
  },
  notThis: ['tools that only mention WhatsApp ("WhatsApp Media Downloader", "Backup for WhatsApp")'],
};
