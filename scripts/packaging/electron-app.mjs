// Runs electron-builder for the unpacked app (`dir` target) of one platform, after the agent and the Node runtime
// are staged (electron-builder.yml copies them in as extraFiles/extraResources).
// Which Electron: APPWACHT_ELECTRON_DIST (an unpacked Electron folder), else the one electron-builder downloads —
// unless that cannot work (no network, as on this build machine): APPWACHT_ELECTRON_STANDIN=1, or no Electron binary
// installed by the electron package, selects the stand-in (electron-standin.mjs) and says so.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, Platform } from 'electron-builder';
import { electronStandin } from './electron-standin.mjs';
import { REPO } from './paths.mjs';
import { stageAgent } from './stage-agent.mjs';
import { stageNodeRuntime } from './node-runtime.mjs';
import { STAGE_RUNTIME } from './paths.mjs';

const PLATFORMS = { linux: Platform.LINUX, win: Platform.WINDOWS, mac: Platform.MAC };

export function wantsStandin() {
  if (process.env.APPWACHT_ELECTRON_DIST) return false;
  if (process.env.APPWACHT_ELECTRON_STANDIN === '1') return true;
  return !existsSync(join(REPO, 'node_modules', 'electron', 'dist'));
}

/** Stages agent + runtime and builds <out>/<platform>-unpacked. Returns { appDir, standin, ms }. */
export async function buildUnpackedApp(os, arch = 'x64') {
  const started = Date.now();
  await stageAgent();
  await stageNodeRuntime(os, arch, join(STAGE_RUNTIME, `${os}-${arch}`));
  const standin = wantsStandin();
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8'));
  const config = {};
  if (standin) {
    console.warn(
      `\n*** Building with a STAND-IN Electron (no Electron binary here): the tray app in this package does not run. ***\n`,
    );
    config.electronDist = await electronStandin(os);
    // Fuses (RunAsNode off, …; the tray lane's electronFuses) are bytes flipped in the real Electron binary; the
    // stand-in has none to flip. A real build keeps them.
    config.electronFuses = null;
    config.electronVersion = pkg.devDependencies.electron.replace(/^[^\d]*/, '');
  } else if (process.env.APPWACHT_ELECTRON_DIST) {
    config.electronDist = process.env.APPWACHT_ELECTRON_DIST;
  }
  // The tray app's entry (app/main, issue lane "tray main") may not be built yet; a stand-in build may go without it.
  const main = pkg.main ?? 'index.js';
  if (!existsSync(join(REPO, main))) {
    if (!standin) throw new Error(`the tray app's entry ${main} does not exist: build the app first`);
    console.warn(`*** ${main} (the tray app's entry) does not exist yet: packaged without the asar entry check. ***`);
    config.disableSanityCheckAsar = true;
  }
  const archs = { x64: 1, arm64: 3 }; // electron-builder's Arch enum
  const targets = PLATFORMS[os].createTarget('dir', archs[arch]);
  await build({ projectDir: REPO, targets, config, publish: 'never' });
  const unpacked = { linux: 'linux-unpacked', win: 'win-unpacked', mac: 'mac' }[os];
  return {
    appDir: join(
      REPO,
      'out',
      arch === 'x64' || os === 'mac' ? unpacked : `${unpacked.replace('-unpacked', '')}-${arch}-unpacked`,
    ),
    standin,
    ms: Date.now() - started,
    version: pkg.version,
  };
}
