import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { OsName } from '../../protocol/index.js';
import { writeFileAtomic } from '../state/files.js';
import { readJsonConfigFile } from './json-file.js';
import type { ConfigLayer } from './layers.js';
import { ConfigError, type ConfigKey } from './schema.js';

/**
 * The user's own settings file, in the user's config folder: Windows %APPDATA% (roams with the profile, unlike the
 * state folder in %LOCALAPPDATA%), macOS Application Support, Linux $XDG_CONFIG_HOME. APPWACHT_SETTINGS_FILE points
 * elsewhere (tests, support).
 */
export function userSettingsPath(os: OsName, env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  if (env.APPWACHT_SETTINGS_FILE) return env.APPWACHT_SETTINGS_FILE;
  switch (os) {
    case 'windows':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Appwacht', 'settings.json');
    case 'macos':
      return join(home, 'Library', 'Application Support', 'Appwacht', 'settings.json');
    case 'linux':
      return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'appwacht', 'settings.json');
  }
}

export function readUserSettings(path: string): Promise<ConfigLayer | undefined> {
  return readJsonConfigFile(path, 'user');
}

/**
 * Sets (or, with undefined, removes) keys in the user settings file and keeps every other key as it is.
 * Owner-only, because it may hold the enrollment secret.
 */
export async function updateUserSettings(path: string, patch: Partial<Record<ConfigKey, string | undefined>>): Promise<void> {
  let current: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse((await readFile(path, 'utf8')).replace(/^\uFEFF/, ''));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) current = parsed as Record<string, unknown>;
    else throw new Error('not a JSON object');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ConfigError('CONFIG_MALFORMED', `will not overwrite ${path}: ${(err as Error).message}; fix or remove it first`, {
        cause: err,
      });
  }
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete current[key];
    else current[key] = value;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, JSON.stringify(current, null, 2) + '\n', 0o600);
}
