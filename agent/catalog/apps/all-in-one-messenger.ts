import { containerInfo } from '../container.js';
import { versioned } from '../patterns.js';
import type { CatalogApp } from '../types.js';

const WINGET =
  'github:microsoft/winget-pkgs:manifests/h/HenrikWenz/All-in-OneMessenger/2.5.0/HenrikWenz.All-in-OneMessenger.installer.yaml@80f3fa29';

export const allInOneMessenger: CatalogApp = {
  id: 'all-in-one-messenger',
  name: 'All-in-One Messenger',
  vendor: 'Henrik Wenz',
  desktopClient: 'discontinued',
  status: 'Windows: per-user NSIS installer (2.5.0, 2020, no longer updated). Other OSes not covered.',
  container: containerInfo('All-in-One Messenger', ['whatsapp', 'facebook-messenger', 'telegram', 'skype']),
  windows: {
    uninstallKeys: [{ values: ['b6dcb923-775d-56f6-b8cb-dbde86aa378b'], source: `${WINGET} (ProductCode)` }],
    names: [{ pattern: versioned('All-in-One Messenger'), source: WINGET }],
  },
};
