import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePlistDict } from '../inventory/sources/plist.js';
import { layerFromRecord, type ConfigLayer, type ConfigSourceKind } from './layers.js';
import { ConfigError } from './schema.js';

export const MACOS_BUNDLE_ID = 'de.appwacht.agent';

/**
 * macOS managed preferences, as an MDM profile (or `/Library/Managed Preferences` written by Jamf & co.) delivers them:
 * per user `/Library/Managed Preferences/<user>/<bundle id>.plist`, for the computer `/Library/Managed Preferences/<bundle id>.plist`.
 * Both folders are root-owned, so a user cannot write them. We read the files rather than `defaults read`, because
 * cfprefsd merges in the user's own (writable) domain too and would hide where a value came from.
 */
export async function readManagedMacos(options: { root?: string; user: string }): Promise<ConfigLayer[]> {
  const base = join(options.root ?? '/', 'Library', 'Managed Preferences');
  const files: [ConfigSourceKind, string][] = [
    ['managed-machine', join(base, `${MACOS_BUNDLE_ID}.plist`)],
    ['managed-user', join(base, options.user, `${MACOS_BUNDLE_ID}.plist`)],
  ];
  const layers: ConfigLayer[] = [];
  for (const [kind, path] of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new ConfigError('CONFIG_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
    let dict: Record<string, unknown>;
    try {
      dict = parsePlistDict(bytes);
    } catch (err) {
      throw new ConfigError('CONFIG_MALFORMED', `${path}: ${(err as Error).message}`, { cause: err });
    }
    layers.push(layerFromRecord(kind, path, dict));
  }
  return layers;
}
