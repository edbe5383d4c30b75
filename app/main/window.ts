/**
 * The status window: one BrowserWindow, hidden rather than destroyed on close (the tray lives on), locked down per
 * Electron's security checklist. Its page comes from our own scheme `appwacht://status/` (served from
 * dist/app/renderer/ with a strict CSP header), never from file:// or the network.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import type { Logger } from '../../agent/log.js';

export const STATUS_SCHEME = 'appwacht';
export const STATUS_HOST = 'status';
export const STATUS_URL = `${STATUS_SCHEME}://${STATUS_HOST}/index.html`;

/** Node's URL gives non-special schemes the origin "null", so scheme and host are compared instead. */
export function isStatusUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${STATUS_SCHEME}:` && u.host === STATUS_HOST && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** No inline script or style, nothing from outside, no plugins, no forms, no framing. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Every security-relevant option set explicitly, even where it is Electron's default (the checklist asks for it). */
export function statusWindowOptions(preload: string, title: string): BrowserWindowConstructorOptions {
  return {
    width: 760,
    height: 720,
    minWidth: 420,
    minHeight: 360,
    show: false,
    title,
    autoHideMenuBar: true,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    },
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/**
 * The handler of `appwacht://status/…` (protocol.handle): GET only, files of the renderer folder only (no `..`, no
 * other host), each answered with the CSP header and nosniff. Plain Node (Request/Response), tested without Electron.
 */
export function rendererHandler(rendererDir: string): (request: Request) => Promise<Response> {
  const rootDir = normalize(rendererDir + sep);
  return async (request) => {
    const headers = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };
    if (request.method !== 'GET' || !isStatusUrl(request.url)) return new Response('not found', { status: 404, headers });
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return new Response('bad request', { status: 400, headers });
    }
    const file = normalize(join(rootDir, path === '/' ? 'index.html' : path));
    const type = TYPES[extname(file)];
    if (!file.startsWith(rootDir) || !type || path.includes('\0')) return new Response('not found', { status: 404, headers });
    try {
      return new Response(await readFile(file), { status: 200, headers: { ...headers, 'Content-Type': type } });
    } catch {
      return new Response('not found', { status: 404, headers });
    }
  };
}

/**
 * Applied to every web contents the app creates (app's 'web-contents-created'): no navigation away, no new windows, no
 * webviews, no redirects; what the page tries is logged.
 */
export function hardenContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, log: Logger): void {
  contents.setWindowOpenHandler(({ url }) => {
    log.warn('window.open denied', { url: url.slice(0, 200) });
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (isStatusUrl(url) && new URL(url).pathname === '/index.html') return; // a reload of the page itself
    event.preventDefault();
    log.warn('navigation denied', { url: String(url).slice(0, 200) });
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** No permission (camera, notifications from the page, geolocation …) is ever granted to web content. */
export function denyPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export interface StatusWindow {
  /** Opens (or brings forward) the window; `reported` opens it at "What is reported" (the page's #reported). */
  show(section?: 'reported'): void;
  /** The window's web contents id while it exists (ipc.ts checks senders against it). */
  contentsId(): number | undefined;
  send(channel: string, payload: unknown): void;
}

/** One window at a time; closing hides it (the tray app keeps running, and the next open is instant). */
export function setupStatusWindow(o: {
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  preload: string;
  title: () => string;
  quitting: () => boolean;
}): StatusWindow {
  let win: BrowserWindow | undefined;
  const create = (url: string) => {
    const w = new o.BrowserWindow(statusWindowOptions(o.preload, o.title()));
    w.on('close', (event) => {
      if (o.quitting()) return;
      event.preventDefault();
      w.hide();
    });
    w.on('closed', () => (win = undefined));
    w.once('ready-to-show', () => w.show());
    void w.loadURL(url);
    return w;
  };
  return {
    show(section) {
      const url = section ? `${STATUS_URL}#${section}` : STATUS_URL;
      if (!win) win = create(url);
      else {
        if (section) void win.loadURL(url); // the same page: only its fragment changes
        if (win.isMinimized()) win.restore();
        win.show();
        win.focus();
      }
    },
    contentsId: () => (win && !win.isDestroyed() ? win.webContents.id : undefined),
    send(channel, payload) {
      if (win && !win.isDestroyed()) win.webContents.send(channel, payload);
    },
  };
}
