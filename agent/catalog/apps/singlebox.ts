import { containerInfo } from '../container.js';
import { versioned } from '../patterns.js';
import type { CatalogApp } from '../types.js';

const WINGET =
  'github:microsoft/winget-pkgs:manifests/w/WebCatalogLtd/Singlebox/61.7.0/WebCatalogLtd.Singlebox.installer.yaml (winget index: WebCatalogLtd.Singlebox, tags all-in-one, messenger, multi-account)';

export const singlebox: CatalogApp = {
  id: 'singlebox',
  name: 'Singlebox',
  vendor: 'WebCatalog Ltd',
  desktopClient: 'official',
  status: 'Windows and macOS: web-app container by the makers of WebCatalog. Only the Windows name is covered.',
  container: containerInfo('Singlebox', ['whatsapp', 'facebook-messenger', 'telegram', 'discord']),
  windows: {
    names: [{ pattern: versioned('Singlebox'), source: WINGET, unverified: 'ARP DisplayName assumed from the package name' }],
  },
};
