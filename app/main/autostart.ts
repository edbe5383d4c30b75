/**
 * Start at login. Windows and macOS: the OS's own login items through Electron (the Run key; SMAppService on macOS 13+).
 * Linux has no such API in Electron: the installers put an XDG autostart entry in /etc/xdg/autostart (build/linux).
 * Only for the packaged app: a development run must not register node_modules/electron as a login item.
 */
import type { App, Settings } from 'electron';

export function loginItemSettings(platform: NodeJS.Platform): Settings | undefined {
  if (platform === 'win32') return { openAtLogin: true, args: ['--hidden'] };
  if (platform === 'darwin') return { openAtLogin: true, type: 'mainAppService' };
  return undefined;
}

export function setupAutostart(app: Pick<App, 'isPackaged' | 'setLoginItemSettings'>, platform: NodeJS.Platform): boolean {
  const settings = loginItemSettings(platform);
  if (!app.isPackaged || !settings) return false;
  app.setLoginItemSettings(settings);
  return true;
}
