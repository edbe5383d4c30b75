import { IOS_APP_SOURCE, IOS_APP_UNVERIFIED, WEB_APP_SOURCE } from '../patterns.js';
import type { CatalogApp } from '../types.js';

const NAMES = {
  pattern: 'Snapchat(?: Web)?',
  source: WEB_APP_SOURCE,
  note: 'browser-installed web app or any wrapper named after the product',
  unverified: 'the web app manifest name was not captured; "Snapchat" is the product name and used by nothing else',
};

/** No desktop client: only the web app installed from a browser, the iPad app on a Mac, or an emulator shortcut can be seen. */
export const snapchat: CatalogApp = {
  id: 'snapchat',
  name: 'Snapchat',
  vendor: 'Snap Inc.',
  desktopClient: 'none',
  status:
    'No Windows, macOS or Linux client. Desktop use is "Snapchat for Web" in Chrome/Edge (since 2022); a browser-installed web app ' +
    'registers under the name "Snapchat", which is what we can find. Use of the website itself is not visible to an app inventory.',
  windows: { names: [NAMES] },
  macos: {
    bundleIds: [{ values: ['com.toyopagroup.picaboo'], source: IOS_APP_SOURCE, unverified: IOS_APP_UNVERIFIED }],
    names: [NAMES],
  },
  linux: { names: [NAMES] },
};
