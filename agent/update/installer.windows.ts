import { access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UpdateError } from './errors.js';
import type { InstallerKind } from './decide.js';
import type { InstallCommand, InstallerPort } from './installer.js';

/** `<install>` of `<install>\agent\bin\appwacht.js`, the script the SYSTEM task runs. */
function installFolder(): string {
  return resolve(dirname(process.argv[1] ?? ''), '..', '..');
}

export function windowsCommand(kind: InstallerKind, installer: string): InstallCommand {
  const system = process.env.SystemRoot ?? 'C:\\Windows';
  switch (kind) {
    case 'msi':
      // /norestart: a reboot is the organisation's to schedule; the log goes beside the result (launch.ts).
      return { file: join(system, 'System32', 'msiexec.exe'), args: ['/i', installer, '/qn', '/norestart'] };
    case 'nsis':
      return { file: installer, args: ['/S'] };
    default:
      throw new UpdateError('INSTALL_FAILED', `${kind} is not a Windows installer`);
  }
}

export const windowsInstaller: InstallerPort = {
  async kinds() {
    // The NSIS installer leaves its Uninstall.exe in the install folder; an MSI install has none.
    const nsis = await access(join(installFolder(), 'Uninstall.exe')).then(
      () => true,
      () => false,
    );
    return nsis ? ['nsis'] : ['msi'];
  },
  command: windowsCommand,
};
