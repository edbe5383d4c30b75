import { containerInfo } from '../container.js';
import type { CatalogApp } from '../types.js';

const WINGET = 'github:microsoft/winget-pkgs:manifests/s/Station/Station/3.3.0/Station.Station.installer.yaml@443ea6a7';

/** "Station" is a generic word (Synology Note Station, DuckStation …): recognised by its uninstall key only. */
export const station: CatalogApp = {
  id: 'station',
  name: 'Station',
  vendor: 'Station (getstation.com)',
  desktopClient: 'discontinued',
  status: 'Windows: NSIS installer (3.3.0, 2024). Development has stopped; installs remain. Other OSes not covered.',
  container: containerInfo('Station', ['whatsapp', 'facebook-messenger', 'telegram']),
  windows: {
    uninstallKeys: [
      { values: ['6d59af78-a042-5f91-9000-138e465ce44a'], source: `${WINGET} (ProductCode, DisplayName "Station 3.3.0")` },
    ],
  },
  notThis: ['DuckStation', 'Synology Note/Surveillance/Cloud Station', 'EmulationStation'],
};
