import { homedir } from 'node:os';
import { join } from 'node:path';
import type { OsName } from '../../protocol/index.js';

/**
 * The per-user state folder (device token, cached policy, outbox, lock). Per user because the
 * agent runs in the user's session (tray); APPWACHT_STATE_DIR overrides it for tests and support.
 */
export function defaultStateDir(os: OsName, env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  if (env.APPWACHT_STATE_DIR) return env.APPWACHT_STATE_DIR;
  switch (os) {
    case 'windows':
      return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'Appwacht');
    case 'macos':
      return join(home, 'Library', 'Application Support', 'Appwacht');
    case 'linux':
      return join(env.XDG_STATE_HOME ?? join(home, '.local', 'state'), 'appwacht');
  }
}
