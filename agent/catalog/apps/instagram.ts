import { IOS_APP_SOURCE, IOS_APP_UNVERIFIED, WEB_APP_SOURCE } from '../patterns.js';
import { DEBLOAT_LEDRAGOX, DEBLOAT_RAPHIRE, UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const WEB_APP = {
  pattern: 'Instagram',
  source: WEB_APP_SOURCE,
  note: 'browser-installed web app, or the Store app by its display name',
};

export const instagram: CatalogApp = {
  id: 'instagram',
  name: 'Instagram',
  vendor: 'Meta Platforms',
  desktopClient: 'official',
  status: 'Windows: Microsoft Store app only. macOS and Linux: web only (direct messages on the web since 2022).',
  windows: {
    appxNames: [
      { values: ['Facebook.Instagram'], source: DEBLOAT_RAPHIRE },
      {
        values: ['Facebook.InstagramBeta'],
        source: `${UNATTRIBUTED} ; ${DEBLOAT_LEDRAGOX} (as the wildcard Facebook.Instagram*)`,
        note: 'the Store name has been both Facebook.Instagram and Facebook.InstagramBeta',
      },
    ],
    names: [WEB_APP],
  },
  macos: {
    bundleIds: [{ values: ['com.burbn.instagram'], source: IOS_APP_SOURCE, unverified: IOS_APP_UNVERIFIED }],
    names: [WEB_APP],
  },
  linux: { names: [WEB_APP] },
  notThis: [
    'tools that only mention it ("4K Stogram", "Instagram Downloader", "Instagram-like photo editors")',
    'the Facebook app (Facebook.Facebook)',
  ],
};
