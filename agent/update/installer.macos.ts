import { UpdateError } from './errors.js';
import type { InstallerKind } from './decide.js';
import type { InstallCommand, InstallerPort } from './installer.js';

export function macosCommand(kind: InstallerKind, installer: string): InstallCommand {
  if (kind !== 'pkg') throw new UpdateError('INSTALL_FAILED', `${kind} is not a macOS installer`);
  return { file: '/usr/sbin/installer', args: ['-pkg', installer, '-target', '/'] };
}

export const macosInstaller: InstallerPort = {
  async kinds() {
    return ['pkg'];
  },
  command: macosCommand,
};
