import type { InventorySource } from './types.js';
import { appImageSource } from './sources/appimage.js';
import { desktopEntrySource } from './sources/desktop-entry.js';
import { dpkgSource } from './sources/dpkg.js';
import { flatpakSource } from './sources/flatpak.js';
import { rpmSource } from './sources/rpm.js';
import { snapSource } from './sources/snap.js';

/**
 * The inventory sources read on linux, in the order they are reported: package managers first, then the
 * app stores, then what only the file system knows. Each reads below the root folder it is given.
 */
export const linuxSources: InventorySource[] = [
  dpkgSource,
  rpmSource,
  flatpakSource,
  snapSource,
  appImageSource,
  desktopEntrySource,
];
