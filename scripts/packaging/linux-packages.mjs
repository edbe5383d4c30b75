// npm run dist:linux — the unpacked app (electron-builder, `dir`), then the deb (dpkg-deb) and the rpm (rpmbuild) from
// one staged file tree. Why not electron-builder's own deb/rpm targets: they need fpm, which electron-builder
// downloads (no network here), and the machine service needs maintainer scripts and a conffile either way.
//
// Installed layout (docs/architecture.md, "Packaging"):
//   /opt/Appwacht/                       the tray app (Electron), with agent/ (bundled CLI) and runtime/ (Node LTS)
//   /usr/bin/appwacht                    the CLI on the shipped Node
//   /usr/lib/systemd/system/appwacht-agent.service    the machine agent (enabled by postinst)
//   /etc/xdg/autostart/appwacht-tray.desktop           the tray for every user who logs in
//   /usr/share/applications/appwacht.desktop           the same entry for the menu
//   /etc/appwacht/config.json            IT's managed settings (conffile: kept on remove, removed on purge)
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildUnpackedApp } from './electron-app.mjs';
import { OUT, REPO } from './paths.mjs';
import { writeUpdateInfo } from './update-info.mjs';

const run = promisify(execFile);
const LINUX = join(REPO, 'build', 'linux');
const DEB_ARCH = { x64: 'amd64', arm64: 'arm64' };
const RPM_ARCH = { x64: 'x86_64', arm64: 'aarch64' };

async function install(src, dest, mode) {
  await mkdir(join(dest, '..'), { recursive: true });
  await cp(src, dest, { recursive: true });
  if (mode) await chmod(dest, mode);
}

/** The file tree both packages install, below `root`. */
export async function stageLinuxRoot(appDir, root) {
  await rm(root, { recursive: true, force: true });
  await install(appDir, join(root, 'opt', 'Appwacht'));
  await install(join(LINUX, 'appwacht'), join(root, 'usr', 'bin', 'appwacht'), 0o755);
  await install(
    join(LINUX, 'appwacht-agent.service'),
    join(root, 'usr', 'lib', 'systemd', 'system', 'appwacht-agent.service'),
    0o644,
  );
  await install(join(LINUX, 'appwacht-tray.desktop'), join(root, 'etc', 'xdg', 'autostart', 'appwacht-tray.desktop'), 0o644);
  await install(join(LINUX, 'appwacht-tray.desktop'), join(root, 'usr', 'share', 'applications', 'appwacht.desktop'), 0o644);
  // Readable by every account: an employee's `appwacht status` reads the managed settings too (as with the registry's
  // Policies key on Windows). The enrollment secret only buys a token from the pinned server (server/README.md).
  await install(join(LINUX, 'config.json'), join(root, 'etc', 'appwacht', 'config.json'), 0o644);
}

async function duKiB(dir) {
  const { stdout } = await run('du', ['-sk', dir]);
  return Number(stdout.split('\t')[0]);
}

const DESCRIPTION = (standin) =>
  `Keeps banned messenger apps off service laptops\n The Appwacht machine agent (a systemd service on the Node runtime shipped in\n /opt/Appwacht/runtime) checks this device against the organisation's app policy\n and reports it to the intranet server; the tray app shows the result.\n Settings: /etc/appwacht/config.json.` +
  (standin ? `\n .\n Built with a STAND-IN Electron: the tray app of this package does not run.` : '');

export async function buildDeb({ root, version, arch, standin }) {
  const debian = join(root, 'DEBIAN');
  await mkdir(debian, { recursive: true });
  for (const script of ['postinst', 'prerm', 'postrm']) await install(join(LINUX, 'deb', script), join(debian, script), 0o755);
  await writeFile(join(debian, 'conffiles'), '/etc/appwacht/config.json\n/etc/xdg/autostart/appwacht-tray.desktop\n');
  const size = await duKiB(root);
  await writeFile(
    join(debian, 'control'),
    [
      'Package: appwacht',
      `Version: ${version}`,
      `Architecture: ${DEB_ARCH[arch]}`,
      'Maintainer: Appwacht <appwacht@appwacht.invalid>',
      `Installed-Size: ${size}`,
      // The agent needs only what the Node binary links; the tray app's libraries are recommended (a headless
      // machine runs the agent alone).
      'Depends: libc6 (>= 2.28), libstdc++6, libgcc-s1',
      'Recommends: libgtk-3-0 | libgtk-3-0t64, libnss3, libnotify4, libxss1, libxtst6, libatspi2.0-0 | libatspi2.0-0t64, libsecret-1-0, xdg-utils',
      'Section: admin',
      'Priority: optional',
      `Description: ${DESCRIPTION(standin)}`,
      '',
    ].join('\n'),
  );
  const file = join(OUT, `appwacht_${version}_${DEB_ARCH[arch]}.deb`);
  // gzip: xz would make the package ~25 % smaller but takes a minute on Node's and Electron's binaries.
  await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', root, file], { maxBuffer: 1 << 24 });
  await rm(debian, { recursive: true });
  return file;
}

export async function buildRpm({ root, version, arch, standin }) {
  const top = join(OUT, 'rpmbuild');
  await rm(top, { recursive: true, force: true });
  await mkdir(top, { recursive: true });
  const defines = {
    _topdir: top,
    stage: root,
    version: version.replace(/-/g, '~'),
    _binary_payload: 'w3.zstdio', // zstd: rpm 4.14+ (RHEL 8, SLES 15, Fedora); fast to build and to install
    ...(standin && { standin_note: 'Built with a STAND-IN Electron: the tray app of this package does not run.' }),
  };
  const args = ['-bb', '--target', RPM_ARCH[arch], '--quiet'];
  for (const [k, v] of Object.entries(defines)) args.push('--define', `${k} ${v}`);
  await run('rpmbuild', [...args, join(LINUX, 'appwacht.spec')], { maxBuffer: 1 << 24 });
  const dir = join(top, 'RPMS', RPM_ARCH[arch]);
  const [name] = await readdir(dir);
  const file = join(OUT, name);
  await cp(join(dir, name), file);
  await rm(top, { recursive: true, force: true });
  return file;
}

export async function distLinux({ arch = 'x64', rpm = true } = {}) {
  const app = await buildUnpackedApp('linux', arch);
  const root = join(OUT, 'linux-root');
  await stageLinuxRoot(app.appDir, root);
  const t = Date.now();
  const deb = await buildDeb({ root, version: app.version, arch, standin: app.standin });
  const debMs = Date.now() - t;
  const t2 = Date.now();
  const rpmFile = rpm ? await buildRpm({ root, version: app.version, arch, standin: app.standin }) : undefined;
  const rpmMs = Date.now() - t2;
  await rm(root, { recursive: true, force: true });
  // The update feed's index for Linux (electron-updater picks the deb or the rpm by the system's package manager).
  const feed = await writeUpdateInfo('latest-linux.yml', [deb, rpmFile].filter(Boolean), app.version);
  const sizes = Object.fromEntries(
    await Promise.all(
      [
        ['deb', deb],
        ['rpm', rpmFile],
      ]
        .filter(([, f]) => f)
        .map(async ([k, f]) => [k, (await stat(f)).size]),
    ),
  );
  return { ...app, deb, rpm: rpmFile, feed, sizes, timings: { appMs: app.ms, debMs, rpmMs } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await distLinux({ rpm: !process.argv.includes('--no-rpm') });
  if (process.argv.includes('--json')) {
    // For test/build/linux-packages.test.ts: the artefacts and figures, on the last line of stdout.
    process.stdout.write(`\n${JSON.stringify(result)}\n`);
    process.exit(0);
  }
  const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  console.log(`unpacked app: ${result.appDir} (${result.timings.appMs} ms${result.standin ? ', STAND-IN Electron' : ''})`);
  console.log(`deb: ${result.deb} (${mib(result.sizes.deb)}, ${result.timings.debMs} ms)`);
  if (result.rpm) console.log(`rpm: ${result.rpm} (${mib(result.sizes.rpm)}, ${result.timings.rpmMs} ms)`);
}
