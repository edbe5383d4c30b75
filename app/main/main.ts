/**
 * The Electron entry (package.json "main" → dist/app/main.js, bundled by scripts/bundle-app.mjs). Everything happens in
 * start.ts; this file only hands it the real Electron and the per-user agent with Electron's ports.
 */
import * as electron from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentOsUser } from '../../agent/os-user.js';
import { registerScheme, startTray } from './start.js';
import { netFetchTransport, safeStorageTokenStore, electronNotifier } from './ports.js';
import { userLink } from './user-agent.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/app/
const root = join(here, '..', '..'); // the app folder: dist/, assets/, package.json

registerScheme(electron);
void startTray(electron, {
  distDir: here,
  iconDir: join(root, 'assets', 'tray'),
  systemInformation: async () => (await import('systeminformation')).default,
  async userLink(log) {
    const [{ runAgent }, { createFileTokenStore }, { detectLang }, { currentOs }] = await Promise.all([
      import('../../agent/runtime/agent.js'),
      import('../../agent/enroll/token-store.js'),
      import('../../agent/i18n.js'),
      import('../../agent/inventory/current-os.js'),
    ]);
    const stop = new AbortController();
    electron.app.on('will-quit', () => stop.abort());
    const link = userLink(
      {
        run: (hooks) =>
          runAgent({
            signal: stop.signal,
            env: process.env,
            lang: detectLang(),
            target: { os: currentOs(), liveProcesses: true },
            log,
            notifier: electronNotifier(electron.Notification, { icon: join(root, 'assets', 'tray', 'compliant@2x.png') }),
            // IT's pinned proxy or CA file are honoured by the agent's own transport; otherwise the OS's, via net.fetch.
            transport: async (config) =>
              config.proxy || config.caFile
                ? (await import('../../agent/transport/http.js')).createHttpTransport({
                    caFile: config.caFile,
                    proxy: config.proxy,
                    env: process.env,
                  })
                : netFetchTransport(electron.net),
            tokenStore: (stateDir) =>
              safeStorageTokenStore(electron.safeStorage, {
                path: join(stateDir, 'device.safe'),
                fallback: createFileTokenStore(stateDir),
                platform: process.platform,
                log,
              }),
            ...hooks,
          }),
      },
      { user: currentOsUser() },
    );
    link.done.catch((err: unknown) => log.error('the hosted agent stopped', { error: err }));
    return link;
  },
})
  .then((tray) => {
    // The Playwright _electron test (test/app/electron-e2e.test.ts) reads the tray through this; nothing else does.
    if (tray && process.env.APPWACHT_E2E === '1') Object.assign(globalThis, { appwachtTray: tray });
  })
  .catch((err: unknown) => {
    console.error('Appwacht tray failed to start:', err);
    electron.app.exit(1);
  });
