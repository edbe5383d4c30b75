/**
 * The Linux packages (issue 11), built for real by `scripts/packaging/linux-packages.mjs` (what `npm run dist:linux` runs,
 * with the stand-in Electron: there is no Electron binary on this machine) and the deb installed for real with dpkg:
 * config in /etc/appwacht, `appwacht scan` from the installed location on the shipped Node, the unit and the desktop
 * entries valid, `dpkg -r` keeps the conffile and the state, `dpkg --purge` removes them. The rpm is inspected with
 * `rpm -qlp --scripts` (installing it would need an rpm-based system).
 *
 * The install touches this machine (as root): it skips when it cannot run (not root, no dpkg) and also when Appwacht is
 * already installed or /etc/appwacht or /var/lib/appwacht exist — those are someone's, not this test's to remove.
 * Whatever it installed is purged in after(), also when an assertion failed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';

const run = promisify(execFile);
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const isRoot = process.getuid?.() === 0;
const dpkgStatus = (pkg: string) => spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' }).stdout.trim();

function installSkipReason(): string | false {
  if (!has('dpkg') || !has('dpkg-deb')) return 'dpkg is not installed (a Debian/Ubuntu machine installs the deb)';
  if (!isRoot) return 'installing a deb needs root (CI runs as root)';
  if (dpkgStatus('appwacht') !== '') return 'Appwacht is already installed on this machine: not this test’s to remove';
  for (const dir of ['/etc/appwacht', '/var/lib/appwacht'])
    if (existsSync(dir)) return `${dir} exists: settings or state of an Appwacht not installed by this test`;
  return false;
}

interface Built {
  deb: string;
  rpm?: string;
  standin: boolean;
  version: string;
  sizes: Record<string, number>;
  timings: Record<string, number>;
}

const buildSkip = !has('dpkg-deb') ? 'dpkg-deb is not installed (.ci/run installs dpkg-dev)' : false;

describe('Linux packages', { skip: buildSkip }, () => {
  let built: Built;
  const installSkip = installSkipReason();
  let installed = false;

  before(async () => {
    // The real build: electron-builder (dir) on the stand-in Electron, then dpkg-deb and rpmbuild (~1 min).
    const args = ['scripts/packaging/linux-packages.mjs', '--json', ...(has('rpmbuild') ? [] : ['--no-rpm'])];
    const { stdout } = await run(process.execPath, args, {
      cwd: REPO,
      env: { ...process.env, APPWACHT_ELECTRON_STANDIN: '1' },
      maxBuffer: 64 << 20,
    });
    built = JSON.parse(stdout.trim().split('\n').pop()!) as Built;
    console.log(
      `built ${built.deb} (${(built.sizes.deb! / 2 ** 20).toFixed(1)} MiB) in ${built.timings.appMs} + ${built.timings.debMs} ms` +
        (built.rpm ? `, ${built.rpm} (${(built.sizes.rpm! / 2 ** 20).toFixed(1)} MiB) in ${built.timings.rpmMs} ms` : ''),
    );
  });

  after(async () => {
    // Clean up what this test installed, whatever happened in between.
    if (installed && dpkgStatus('appwacht') !== '') await run('dpkg', ['--purge', 'appwacht']).catch(() => undefined);
  });

  it('the deb declares its conffiles, maintainer scripts and files', async () => {
    const { stdout: info } = await run('dpkg-deb', ['--info', built.deb]);
    assert.match(info, /Package: appwacht/);
    assert.match(info, new RegExp(`Version: ${built.version.replace(/\./g, '\\.')}`));
    const { stdout: conffiles } = await run('dpkg-deb', ['-I', built.deb, 'conffiles']);
    assert.deepEqual(conffiles.trim().split('\n').sort(), [
      '/etc/appwacht/config.json',
      '/etc/xdg/autostart/appwacht-tray.desktop',
    ]);
    const { stdout: postinst } = await run('dpkg-deb', ['-I', built.deb, 'postinst']);
    assert.match(postinst, /systemctl enable "\$UNIT"/);
    const { stdout: list } = await run('dpkg-deb', ['--contents', built.deb], { maxBuffer: 64 << 20 });
    for (const path of [
      './opt/Appwacht/runtime/bin/node',
      './opt/Appwacht/agent/bin/appwacht.js',
      './opt/Appwacht/agent/dist/cli/appwacht.js',
      './opt/Appwacht/agent/node_modules/node-notifier/package.json',
      './opt/Appwacht/resources/app.asar',
      './usr/bin/appwacht',
      './usr/lib/systemd/system/appwacht-agent.service',
      './etc/xdg/autostart/appwacht-tray.desktop',
    ])
      assert.ok(list.includes(` ${path}`), `${path} is in the deb`);
    assert.doesNotMatch(list, /\.\/opt\/Appwacht\/agent\/node_modules\/(better-sqlite3|fastify|pg)\//, 'no server packages');
    // Source maps stay with the build (14 MB of dist/cli): the installed agent does not read them.
    assert.doesNotMatch(list, /\.\/opt\/Appwacht\/agent\/dist\/cli\/.*\.js\.map$/m, 'no source maps of the agent');
    if (built.standin) assert.match(info, /STAND-IN Electron/, 'a stand-in build says so in its description');
  });

  it(
    'installs with dpkg, runs from the installed location on its own Node, and removes/purges cleanly',
    { skip: installSkip },
    async () => {
      installed = true;
      await run('dpkg', ['-i', built.deb]);
      assert.equal(dpkgStatus('appwacht'), 'install ok installed');

      // IT's settings file: the shipped template, readable by everyone (employees' `appwacht status` reads it too).
      const config = JSON.parse(await readFile('/etc/appwacht/config.json', 'utf8')) as Record<string, string>;
      assert.deepEqual(Object.keys(config).sort(), ['enrollmentSecret', 'policyPublicKey', 'serverUrl']);
      assert.equal(lstatSync('/etc/appwacht/config.json').mode & 0o777, 0o644);

      // The shipped runtime is the LTS major of build/node-runtime.json, not this machine's Node.
      const pinned = (JSON.parse(await readFile(join(REPO, 'build', 'node-runtime.json'), 'utf8')) as { version: string })
        .version;
      const { stdout: nodeVersion } = await run('/opt/Appwacht/runtime/bin/node', ['--version']);
      assert.equal(nodeVersion.trim(), `v${pinned}`);

      // `appwacht` from the installed location, with no other Node on the PATH.
      const env = {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        HOME: '/root',
        APPWACHT_STATE_DIR: '/nonexistent-unused',
      };
      const { stdout: version } = await run('/usr/bin/appwacht', ['--version'], { env });
      assert.equal(version.trim(), built.version);
      const scan = spawnSync('/usr/bin/appwacht', ['scan', '--json'], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.ok([0, 1, 2, 3].includes(scan.status!), `scan exit ${scan.status}: ${scan.stderr}`);
      const result = JSON.parse(scan.stdout) as { status: string; sources: { id: string; ok: boolean }[] };
      assert.ok(['compliant', 'warning', 'violation', 'unknown'].includes(result.status));
      assert.ok(
        result.sources.some((s) => s.id === 'dpkg' && s.ok),
        'the installed agent read the dpkg database',
      );

      // The shipped template parses and pins nothing (empty = not set). Nothing with a value is written to the live
      // /etc/appwacht here: other tests running at the same time read it (agent/config/managed.linux.ts).
      const { stdout: cfg } = await run('/usr/bin/appwacht', ['config', '--json'], { env });
      const effective = JSON.parse(cfg) as { managed: boolean; values: { serverUrl: { value: string | null } } };
      assert.equal(effective.managed, false);
      assert.equal(effective.values.serverUrl.value, null);

      // The service and the autostart entry, checked by the real validators where they are installed.
      assert.ok(
        lstatSync('/etc/systemd/system/multi-user.target.wants/appwacht-agent.service').isSymbolicLink(),
        'postinst enabled the machine agent for every boot',
      );
      if (has('systemd-analyze')) {
        const verify = await run('systemd-analyze', ['verify', '/usr/lib/systemd/system/appwacht-agent.service']).catch(
          (err: { stderr: string }) => ({ stderr: `FAILED ${err.stderr}` }),
        );
        assert.equal(verify.stderr.trim(), '', 'systemd-analyze verify: no errors or warnings');
      }
      if (has('desktop-file-validate'))
        await run('desktop-file-validate', [
          '/etc/xdg/autostart/appwacht-tray.desktop',
          '/usr/share/applications/appwacht.desktop',
        ]);

      // State the running agent would have written (the device token lives here).
      await mkdir('/var/lib/appwacht', { recursive: true, mode: 0o700 });
      await writeFile('/var/lib/appwacht/device.json', '{}');

      // IT edits the file (here only its layout, so the values stay empty: see above); dpkg -r removes the program and
      // the boot link and keeps the edited file and the state.
      const edited = JSON.stringify(config, null, 4) + '\n';
      await writeFile('/etc/appwacht/config.json', edited);
      await run('dpkg', ['-r', 'appwacht']);
      assert.equal(dpkgStatus('appwacht'), 'deinstall ok config-files');
      assert.ok(!existsSync('/opt/Appwacht') && !existsSync('/usr/bin/appwacht'), 'program files removed');
      assert.ok(!existsSync('/etc/systemd/system/multi-user.target.wants/appwacht-agent.service'), 'service disabled');
      assert.equal(await readFile('/etc/appwacht/config.json', 'utf8'), edited, 'IT’s edited settings file kept');
      assert.ok(existsSync('/var/lib/appwacht/device.json'), 'state kept for a reinstall');

      // dpkg --purge: settings and state gone too.
      await run('dpkg', ['--purge', 'appwacht']);
      assert.equal(dpkgStatus('appwacht'), '');
      assert.ok(!existsSync('/etc/appwacht'), '/etc/appwacht removed on purge');
      assert.ok(!existsSync('/var/lib/appwacht'), '/var/lib/appwacht removed on purge');
    },
  );

  it('the rpm carries the same files, its config as %config(noreplace), and the service scriptlets', async (t) => {
    if (!built.rpm) return t.skip('rpmbuild is not installed (.ci/run installs rpm)');
    const { stdout } = await run('rpm', ['-qlp', '--scripts', built.rpm], { maxBuffer: 64 << 20 });
    for (const path of [
      '/opt/Appwacht/runtime/bin/node',
      '/opt/Appwacht/agent/bin/appwacht.js',
      '/usr/bin/appwacht',
      '/usr/lib/systemd/system/appwacht-agent.service',
      '/etc/xdg/autostart/appwacht-tray.desktop',
      '/etc/appwacht/config.json',
    ])
      assert.ok(stdout.split('\n').includes(path), `${path} is in the rpm`);
    assert.match(stdout, /postinstall scriptlet[\s\S]*systemctl enable appwacht-agent\.service/);
    assert.match(stdout, /preuninstall scriptlet[\s\S]*systemctl disable appwacht-agent\.service/);
    const { stdout: configFiles } = await run('rpm', ['-qcp', built.rpm]);
    assert.ok(configFiles.split('\n').includes('/etc/appwacht/config.json'));
    const { stdout: flags } = await run('rpm', ['-qp', '--qf', '[%{FILENAMES} %{FILEFLAGS:fflags}\n]', built.rpm], {
      maxBuffer: 64 << 20,
    });
    assert.match(flags, /^\/etc\/appwacht\/config\.json cn$/m, 'config(noreplace): an upgrade keeps what IT wrote');
  });
});
