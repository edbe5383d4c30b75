import { versioned } from '../patterns.js';
import { ENDPOINT_TABLE, UNATTRIBUTED } from '../sources.js';
import type { CatalogApp } from '../types.js';

const WINGET = 'github:microsoft/winget-pkgs:manifests/l/LINE/LINE/9.4.0.3476/LINE.LINE.installer.yaml@b7ed2d32';

/**
 * "LINE"/"Line" is a very common token (Linear, LinearMouse, LINE WORKS, Command Line Tools). Rules are case-insensitive,
 * so the name only counts with LINE's publisher; macOS and Windows ids do the rest.
 */
export const line: CatalogApp = {
  id: 'line',
  name: 'LINE',
  vendor: 'LINE Corporation (LY Corporation)',
  desktopClient: 'official',
  status:
    'Windows: per-user installer (HKCU\\…\\Uninstall\\LINE, %LocalAppData%\\LINE) and a Store package. macOS: LINE.app. Linux: no client; the Windows client under Wine leaves a Start-menu desktop entry.',
  windows: {
    appxNames: [{ values: ['NAVER.LINEwin8'], source: UNATTRIBUTED, note: 'Store package in debloat lists' }],
    uninstallKeys: [{ values: ['LINE'], source: WINGET, note: 'ProductCode LINE, per user (HKCU / HKU\\<SID>)' }],
    names: [
      {
        pattern: versioned('LINE'),
        publisher: String.raw`LINE Corporation|LY Corporation|NAVER Corp(?:oration|\.)?`,
        source: 'github:microsoft/winget-pkgs:manifests/l/LINE/LINE/9.4.0.3476/LINE.LINE.locale.en-US.yaml@b7ed2d32',
        unverified: '"LY Corporation" (renamed 2023) and NAVER spellings are assumed, not captured',
      },
    ],
    processes: [
      {
        values: ['LINE.exe', 'LineLauncher.exe'],
        source: `${UNATTRIBUTED} (registry dump: DisplayIcon …\\LINE\\bin\\LineLauncher.exe)`,
      },
    ],
  },
  macos: {
    bundleIds: [{ values: ['jp.naver.line.mac'], source: ENDPOINT_TABLE }],
    processes: [{ values: ['LINE'], source: ENDPOINT_TABLE, note: '/Applications/LINE.app/Contents/MacOS/LINE' }],
  },
  linux: {
    desktopIds: [
      {
        values: ['wine-Programs-LINE.desktop', 'wine-Programs-LINE-LINE.desktop'],
        source: 'Wine winemenubuilder: Start-menu shortcuts become ~/.local/share/applications/wine/Programs/<path>.desktop',
        note: 'the Windows client run under Wine; the desktop id is the Start-menu path, so it cannot be a look-alike',
      },
    ],
  },
  notThis: [
    'Linear',
    'LinearMouse',
    'LINE Bot Designer',
    'LINE WORKS (separate enterprise product)',
    'Command Line Tools',
    'Lineage',
  ],
};
