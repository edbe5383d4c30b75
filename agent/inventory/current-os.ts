import type { OsName } from '../../protocol/index.js';

/** The OS this agent runs on, in the protocol's names. Its own module so that light entry points need no inventory. */
export function currentOs(platform: NodeJS.Platform = process.platform): OsName {
  if (platform === 'win32') return 'windows';
  if (platform === 'darwin') return 'macos';
  return 'linux';
}
