import { access } from 'node:fs/promises';
import { run } from '../inventory/exec.js';
import { UpdateError } from './errors.js';
import type { InstallerKind } from './decide.js';
import type { InstallCommand, InstallerPort } from './installer.js';

/** dpkg and rpm call maintainer scripts that need the sbin folders (ldconfig, systemctl); a service's PATH may lack them. */
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export function linuxCommand(kind: InstallerKind, installer: string): InstallCommand {
  switch (kind) {
    case 'deb':
      // Never ask about a conffile (there is no one to answer): keep what IT wrote in /etc/appwacht/config.json.
      return {
        file: 'dpkg',
        args: ['--force-confdef', '--force-confold', '-i', installer],
        env: { PATH, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' },
      };
    case 'rpm':
      // -U upgrades in place; %config(noreplace) keeps IT's config.json.
      return { file: 'rpm', args: ['-U', installer], env: { PATH, LC_ALL: 'C' } };
    default:
      throw new UpdateError('INSTALL_FAILED', `${kind} is not a Linux installer`);
  }
}

export const linuxInstaller: InstallerPort = {
  async kinds() {
    // Which package manager owns this install: the package is called appwacht in both (scripts/packaging/).
    if (await exists('/var/lib/dpkg/info/appwacht.list')) return ['deb'];
    const rpm = await run('rpm', ['-q', '--quiet', 'appwacht'], { timeoutMs: 30_000 }).then(
      () => true,
      () => false,
    );
    return rpm ? ['rpm'] : [];
  },
  command: linuxCommand,
  async outsideService(argv, env) {
    // Not under systemd (a container, another init): a detached process outlives the service as it is.
    if (!(await exists('/run/systemd/system'))) return argv;
    const unit = `appwacht-update-${Date.now()}`;
    return [
      'systemd-run',
      `--unit=${unit}`,
      '--collect',
      '--quiet',
      '--service-type=exec',
      ...Object.entries(env).map(([k, v]) => `--setenv=${k}=${v}`),
      '--',
      ...argv,
    ];
  },
};
