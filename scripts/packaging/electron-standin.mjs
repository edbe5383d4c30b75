// A stand-in Electron distribution for builds without the real one (this build machine reaches only the npm registry
// and Debian; electron's own npm package downloads its binary from elsewhere at install time). It has the file names
// electron-builder expects, and an `electron` that is a shell script saying what it is: packages built on it install
// and their agent works (it never needs Electron), but the tray app does not start. For a real build, leave
// APPWACHT_ELECTRON_STANDIN unset: electron-builder then uses the Electron zip it downloads (README, "Installers").
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OUT } from './paths.mjs';

export const STANDIN_MARKER = 'APPWACHT-ELECTRON-STAND-IN';

export async function electronStandin(os = 'linux') {
  const dir = join(OUT, 'electron-standin', os);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'resources'), { recursive: true });
  const script = `#!/bin/sh
# ${STANDIN_MARKER}: not Electron. This package was built with a stand-in Electron distribution
# (scripts/packaging/electron-standin.mjs), so the tray app cannot start; the machine agent is unaffected.
echo "Appwacht: this build carries a stand-in instead of Electron; the tray app is not available (the agent is: appwacht status)." >&2
exit 78
`;
  const exe = os === 'win' ? 'electron.exe' : 'electron';
  await writeFile(join(dir, exe), script);
  await chmod(join(dir, exe), 0o755);
  await writeFile(join(dir, 'version'), `${STANDIN_MARKER}\n`);
  await writeFile(join(dir, 'LICENSE'), `${STANDIN_MARKER}: placeholder for Electron's LICENSE.\n`);
  await writeFile(join(dir, 'LICENSES.chromium.html'), `<!-- ${STANDIN_MARKER} -->\n`);
  return dir;
}
