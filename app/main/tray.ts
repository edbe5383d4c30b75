/**
 * The tray icon and its menu, drawn from the pure model (tray-model.ts): this file only maps the model to Electron.
 */
import { join } from 'node:path';
import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import type { Lang } from '../../protocol/index.js';
import type { MenuAction, MenuItemModel, TrayIcon } from './tray-model.js';

/** Which file of assets/tray/ each OS shows: .ico on Windows, a template on macOS, 24 px (@2x 48) for Linux panels. */
export function trayIconFile(icon: TrayIcon, platform: NodeJS.Platform, dir: string): string {
  if (platform === 'win32') return join(dir, `${icon}.ico`);
  if (platform === 'darwin') return join(dir, `${icon}Template.png`);
  return join(dir, `${icon}-24.png`);
}

export function toElectronMenu(
  items: MenuItemModel[],
  on: { action(id: MenuAction): void; language(lang: Lang): void },
): MenuItemConstructorOptions[] {
  return items.map((i): MenuItemConstructorOptions => {
    switch (i.kind) {
      case 'separator':
        return { type: 'separator' };
      case 'label':
        return { id: i.id, label: i.label, enabled: false };
      case 'action':
        return { id: i.id, label: i.label, enabled: i.enabled, click: () => on.action(i.id) };
      case 'radio':
        return {
          id: i.id,
          label: i.label,
          type: 'radio',
          checked: i.checked,
          click: () => on.language(i.id === 'lang-de' ? 'de' : 'en'),
        };
      case 'submenu':
        return { id: i.id, label: i.label, submenu: toElectronMenu(i.items, on) };
    }
  });
}

export interface TrayPorts {
  Tray: new (image: NativeImage | string) => Tray;
  Menu: Pick<typeof Menu, 'buildFromTemplate'>;
  nativeImage: { createFromPath(path: string): NativeImage };
  platform: NodeJS.Platform;
  iconDir: string;
}

export interface TrayView {
  icon: TrayIcon;
  tooltip: string;
  menu: MenuItemModel[];
}

/** Creates the tray once; `show` updates icon, tooltip and menu (only what changed, to spare the OS a redraw). */
export function setupTray(p: TrayPorts, on: Parameters<typeof toElectronMenu>[1], first: TrayView) {
  const image = (icon: TrayIcon) => {
    const img = p.nativeImage.createFromPath(trayIconFile(icon, p.platform, p.iconDir));
    if (p.platform === 'darwin') img.setTemplateImage(true);
    return img;
  };
  const tray = new p.Tray(image(first.icon));
  let shown: { icon?: TrayIcon; tooltip?: string; menu?: string } = {};
  const show = (v: TrayView) => {
    if (v.icon !== shown.icon) tray.setImage(image(v.icon));
    if (v.tooltip !== shown.tooltip) tray.setToolTip(v.tooltip);
    const menu = JSON.stringify(v.menu);
    if (menu !== shown.menu) tray.setContextMenu(p.Menu.buildFromTemplate(toElectronMenu(v.menu, on)));
    shown = { icon: v.icon, tooltip: v.tooltip, menu };
  };
  show(first);
  return { show, tray };
}
