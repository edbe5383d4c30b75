/**
 * The real tray app end to end with Playwright's `_electron`: the built app (npm run build → dist/app/main.js) as the
 * client of a machine agent's real tray channel (agent/channel/server.ts in this test process, state files in a temp
 * folder). It checks the tray state, the status window, a banned app detected, and the state turning compliant after
 * the app is removed and "Check now" is clicked.
 *
 * Runs wherever an Electron binary exists: node_modules/electron with its download (path.txt), or ELECTRON_PATH. Here
 * Electron cannot be downloaded, so it skips and says so. On a Windows laptop or a Mac: `npm ci` (downloads Electron),
 * `npm run build`, `node scripts/run-tests.mjs test/app/electron-e2e.test.ts` (app/README.md).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { _electron } from 'playwright-core';
import { startTrayChannel } from '../../agent/channel/server.js';
import { silentLogger } from '../../agent/log.js';

const repo = new URL('../..', import.meta.url).pathname;

/** Never `require('electron')`: without its binary that starts a download. */
function electronBinary(): string | undefined {
  if (process.env.ELECTRON_PATH) return existsSync(process.env.ELECTRON_PATH) ? process.env.ELECTRON_PATH : undefined;
  const pathFile = join(repo, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const bin = join(repo, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : undefined;
}

const FUTURE = '2099-10-01T00:00:00+02:00';
const trayView = (findings: unknown[], at: Date) => ({
  format: 'appwacht-tray-view',
  at: at.toISOString(),
  policyExpiresAt: null,
  support: { email: 'it@stadt.example' },
  message: { de: 'Bitte entfernen.', en: 'Please remove.' },
  gaps: [],
  findings,
});

it('the real Electron app: tray state, window, banned app found, compliant after removal', { timeout: 120_000 }, async (t) => {
  const bin = electronBinary();
  if (!bin)
    return t.skip(
      'no Electron binary here (node_modules/electron has no download and ELECTRON_PATH is unset; Electron cannot be ' +
        'downloaded on this machine). Run it where `npm ci` fetched Electron: Windows, macOS or a Linux desktop.',
    );
  if (!existsSync(join(repo, 'dist', 'app', 'main.js')) || !existsSync(join(repo, 'dist', 'app', 'renderer', 'index.html')))
    assert.fail('dist/app is not built: run `npm run build` first');
  if (process.platform === 'win32')
    return t.skip(
      'this test runs its own machine agent channel on a Unix socket; on Windows use the installed agent (app/README.md)',
    );

  const dir = await mkdtemp(join(tmpdir(), 'aw-e2e-'));
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { mode: 0o700 });
  await writeFile(
    join(stateDir, 'agent-state.json'),
    JSON.stringify({
      agent: { pid: 1, agentVersion: '0.1.0', startedAt: new Date().toISOString() },
      server: null,
      enrollment: { enrolled: false },
      policy: { version: 1, origin: 'bundled', expired: false, organization: 'Stadt Musterstadt' },
    }),
  );
  const whatsapp = {
    appId: 'whatsapp',
    name: 'WhatsApp',
    action: 'ban',
    deadline: FUTURE,
    installs: [{ source: 'flatpak', scope: 'user', name: 'WhatsApp', user: process.env.USER ?? 'root' }],
    processes: [],
  };
  await writeFile(join(stateDir, 'tray-view.json'), JSON.stringify(trayView([whatsapp], new Date())));
  let checks = 0;
  const channel = await startTrayChannel({
    dir: join(dir, 'channel'),
    stateDir,
    log: silentLogger,
    checkIntervalMs: 0,
    requestCheck: () => {
      checks++;
      // The agent's check: the app is gone now.
      void writeFile(join(stateDir, 'tray-view.json'), JSON.stringify(trayView([], new Date(Date.now() + 1000))));
    },
  });
  const app = await _electron.launch({
    executablePath: bin,
    args: [repo, ...(process.platform === 'linux' ? ['--no-sandbox'] : [])],
    env: { ...process.env, APPWACHT_E2E: '1', APPWACHT_CHANNEL_DIR: join(dir, 'channel'), LANG: 'en_GB.UTF-8' },
  });
  try {
    type Tray = { view(): { icon: string; tooltip: string }; openStatus(): void };
    const view = () => app.evaluate(() => (globalThis as unknown as { appwachtTray?: Tray }).appwachtTray?.view() ?? null);
    const until = async (what: string, ok: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(await ok(), what);
    };
    await until('the tray shows the banned app', async () => (await view())?.icon === 'banned');
    assert.match((await view())!.tooltip, /Not allowed: WhatsApp/);

    await app.evaluate(() => (globalThis as unknown as { appwachtTray: Tray }).appwachtTray.openStatus());
    const page = await app.firstWindow();
    assert.match(page.url(), /^appwacht:\/\/status\//);
    await page.getByText('WhatsApp').first().waitFor();
    // The page runs sandboxed without Node: no require, no process.
    assert.equal(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require), 'undefined');
    assert.equal(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process), 'undefined');

    await page.getByRole('button', { name: /check now/i }).click();
    await until('the agent was asked for a check', async () => checks > 0);
    await until('the tray turns compliant', async () => (await view())?.icon === 'compliant');
    await page
      .getByText(/all good|compliant|no banned/i)
      .first()
      .waitFor();
  } finally {
    await app.close().catch(() => {});
    await channel.close();
    await rm(dir, { recursive: true, force: true });
  }
});
