import { IOS_APP_SOURCE, IOS_APP_UNVERIFIED } from '../patterns.js';
import type { CatalogApp } from '../types.js';

const NAMES = {
  pattern: 'Kik(?: Messenger)?',
  source: 'https://wiki-gateway.eudic.net/wikipedia_en/Kik_Messenger.html (product name)',
  note: 'any local trace named after the product: emulator/Android-subsystem shortcut, iPad app on a Mac',
};

/** Mobile only; there is no web client either, so only shortcuts of Android emulators or the iPad app on a Mac can show up. */
export const kik: CatalogApp = {
  id: 'kik',
  name: 'Kik Messenger',
  vendor: 'Kik Interactive / MediaLab',
  desktopClient: 'none',
  status:
    'Mobile only (iOS, Android); no desktop and no web client. Local traces: Android emulator / Android-subsystem shortcuts named "Kik", ' +
    'or the iPhone app on an Apple-silicon Mac.',
  windows: { names: [NAMES] },
  macos: {
    bundleIds: [{ values: ['com.kik.chat'], source: IOS_APP_SOURCE, unverified: IOS_APP_UNVERIFIED }],
    names: [NAMES],
  },
  linux: { names: [NAMES] },
  notThis: ['Kiki, KiCad and other names that merely start with "Kik"'],
};
