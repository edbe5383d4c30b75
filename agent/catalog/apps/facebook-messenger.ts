import { IOS_APP_SOURCE, IOS_APP_UNVERIFIED, versioned, WEB_APP_PUBLISHER, WEB_APP_SOURCE } from '../patterns.js';
import { DEBLOAT_LEDRAGOX, ENDPOINT_TABLE, UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const CAPRINE = {
  pattern: 'Caprine',
  source: 'github:Homebrew/homebrew-cask:Casks/c/caprine.rb@0369b059',
  note: 'unofficial Messenger client (Electron)',
  thirdParty: 'Caprine',
};
const CAPRINE_WINGET = 'github:microsoft/winget-pkgs:manifests/c/Caprine/Caprine/2.61.0/Caprine.Caprine.installer.yaml@19e03dcc';
const MESSENGER_X =
  'github:microsoft/winget-pkgs:manifests/j/jimicze/MessengerX/1.5.7/jimicze.MessengerX.installer.yaml@87c04f5c';
const MESSENGER_NEXT =
  'github:microsoft/winget-pkgs:manifests/r/Rozsazoltan/MessengerNext/1.8.0/Rozsazoltan.MessengerNext.installer.yaml@13dddff0';
/** The direct download from messenger.com (Homebrew's "messenger" cask installs it too), next to the App Store build. */
const DIRECT_BUNDLE =
  'github:ParetoSecurity/pareto-mac, update check class AppMessenger (file path not recorded): bundle com.facebook.archon.developerID, update feed facebook.com/messenger/desktop/zeratul = the livecheck of github:Homebrew/homebrew-cask:Casks/m/messenger.rb@01eefc58 ; ' +
  'public GitHub code (repository not recorded): 8 further bundle-id tables list it as "Messenger"';

/**
 * "Messenger" is a generic word (Apple Messages, Kik Messenger, "Signal Messenger, LLC" as a publisher), so the name
 * only counts together with Meta's publisher or a browser's web-app publisher; everything else goes by exact ids.
 */
export const facebookMessenger: CatalogApp = {
  id: 'facebook-messenger',
  name: 'Facebook Messenger',
  vendor: 'Meta Platforms (Facebook, Inc.)',
  desktopClient: 'discontinued',
  status:
    'Meta shut the Windows and macOS apps down in December 2025 (the Windows Store app had been a PWA since 2024); leftovers are still found. ' +
    'No Linux client; the unofficial Caprine client is matched on every OS.',
  windows: {
    appxNames: [{ values: ['FACEBOOK.317180B0BB486'], source: DEBLOAT_LEDRAGOX, note: 'Store app "Messenger"' }],
    appxFamilies: [{ values: ['FACEBOOK.317180B0BB486_8xx8rvfyw5nnt'], source: UNATTRIBUTED }],
    uninstallKeys: [
      {
        values: ['c1b3adcf-2068-5e8d-b25d-30ce588e3a4c'],
        source:
          'github:microsoft/winget-pkgs:manifests/f/Facebook/Messenger/205.0.564654621.564654621/Facebook.Messenger.installer.yaml@17cce3e8',
        note: 'nullsoft installer (versions 163–205)',
      },
      { values: ['b6c4192c-4ca1-5b79-a36d-5069848f8197'], source: `${CAPRINE_WINGET} (ProductCode)`, thirdParty: 'Caprine' },
      {
        values: ['{406509F9-913B-4B3C-83AD-4BA13813FE9A}'],
        source: `${MESSENGER_NEXT} (ProductCode)`,
        thirdParty: 'Messenger Next',
      },
    ],
    names: [
      {
        pattern: versioned('Messenger'),
        publisher: String.raw`Facebook,? Inc\.?|Meta Platforms,? Inc\.?`,
        source:
          'github:microsoft/winget-pkgs:manifests/f/Facebook/Messenger/205.0.564654621.564654621/Facebook.Messenger.locale.en-US.yaml@9e8669e8',
        unverified: 'the "Meta Platforms, Inc." spelling is assumed from the company rename',
      },
      {
        pattern: 'Messenger',
        publisher: WEB_APP_PUBLISHER,
        source: WEB_APP_SOURCE,
        note: 'messenger.com installed as a web app',
      },
      { ...CAPRINE, pattern: versioned(CAPRINE.pattern) },
      {
        pattern: versioned('Messenger (?:X|Next)'),
        source: `${MESSENGER_X} ; ${MESSENGER_NEXT} (winget PackageName)`,
        note: 'unofficial messenger.com wrappers (Tauri, WebView2)',
        thirdParty: 'Messenger X, Messenger Next',
      },
    ],
  },
  macos: {
    bundleIds: [
      { values: ['com.facebook.archon'], source: ENDPOINT_TABLE, note: 'Mac App Store build' },
      {
        values: ['com.facebook.archon.developerID'],
        source: DIRECT_BUNDLE,
        note: 'direct download from messenger.com, the build most Macs have',
      },
      { values: ['com.sindresorhus.caprine'], source: CAPRINE.source, note: CAPRINE.note, thirdParty: 'Caprine' },
      { values: ['com.facebook.Messenger'], source: IOS_APP_SOURCE, unverified: IOS_APP_UNVERIFIED },
    ],
    names: [CAPRINE],
    processes: [
      { values: ['Messenger'], source: ENDPOINT_TABLE, note: '/Applications/Messenger.app/Contents/MacOS/Messenger' },
      { values: ['Caprine'], source: CAPRINE.source, thirdParty: 'Caprine' },
    ],
  },
  linux: {
    flatpakIds: [
      {
        values: ['com.sindresorhus.Caprine'],
        source: 'github:TheEvilSkeleton/com.sindresorhus.Caprine:com.sindresorhus.Caprine.yml@b9dbf8f3',
        note: CAPRINE.note,
        thirdParty: 'Caprine',
      },
    ],
    names: [CAPRINE],
  },
  notThis: ['Apple Messages (com.apple.MobileSMS)', 'Kik Messenger', '"Messenger" apps of other publishers'],
};
