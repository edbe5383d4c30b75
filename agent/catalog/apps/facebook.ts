import { IOS_APP_SOURCE, IOS_APP_UNVERIFIED, versioned, WEB_APP_SOURCE } from '../patterns.js';
import { DEBLOAT_LEDRAGOX } from '../sources.js';
import type { CatalogApp } from '../types.js';

const WEB_APP = {
  pattern: 'Facebook',
  source: WEB_APP_SOURCE,
  note: 'browser-installed web app of facebook.com, or the Store app by its display name',
};

/** The Facebook app itself; Messenger is its own entry (facebook-messenger). */
export const facebook: CatalogApp = {
  id: 'facebook',
  name: 'Facebook',
  vendor: 'Meta Platforms',
  desktopClient: 'official',
  status:
    'Windows: Microsoft Store app only (whether it is still offered was not established). macOS and Linux: web only; ' +
    'browser-installed web apps named "Facebook" are matched.',
  windows: {
    appxNames: [{ values: ['Facebook.Facebook'], source: DEBLOAT_LEDRAGOX, note: 'written FACEBOOK.FACEBOOK there' }],
    names: [{ ...WEB_APP, pattern: versioned('Facebook') }],
  },
  macos: {
    bundleIds: [{ values: ['com.facebook.Facebook'], source: IOS_APP_SOURCE, unverified: IOS_APP_UNVERIFIED }],
    names: [WEB_APP],
  },
  linux: { names: [WEB_APP] },
  notThis: ['Facebook Gameroom and other "Facebook …" tools', 'Messenger and Instagram (own catalog entries)'],
};
