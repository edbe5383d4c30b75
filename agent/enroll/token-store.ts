import { lstat, unlink } from 'node:fs/promises';
import { z } from 'zod';
import { readJsonState, writeFileAtomic } from '../state/files.js';
import { ensureStateFolder } from '../state/folder.js';
import { EnrollError } from './errors.js';
import { statePath } from '../state/names.js';

/** What enrollment leaves behind. Tied to the server URL: a token is worth nothing at another server. */
export const DeviceCredentials = z.strictObject({
  serverUrl: z.string().min(1),
  deviceId: z.uuid(),
  deviceToken: z.string().min(32).max(200),
  enrolledAt: z.iso.datetime({ offset: true }),
});
export type DeviceCredentials = z.infer<typeof DeviceCredentials>;

export type TokenLoad =
  | { status: 'missing' }
  | { status: 'ok'; credentials: DeviceCredentials }
  /** The stored token could not be used (moved aside as corrupt, or exposed): enroll again. */
  | { status: 'unusable'; reason: string };

/**
 * The device token store, as a port: the headless agent keeps a file in the state folder; the Electron app swaps in
 * `safeStorage` (OS keychain) behind the same three calls.
 */
export interface TokenStore {
  load(): Promise<TokenLoad>;
  save(credentials: DeviceCredentials): Promise<void>;
  clear(): Promise<void>;
  /** Where it lives, for messages. */
  readonly location: string;
}

/**
 * `device.json` in the state folder, owner-only (0600; the folder 0700). A file others can read (or that is not a
 * plain file owned by us, e.g. a planted symlink) is treated as exposed: the token is not used, the file is removed,
 * and enrollment starts over, which replaces the token on the server. (Windows: %LOCALAPPDATA% is private to the user
 * by its ACL; POSIX mode bits mean nothing there, so the check is skipped.)
 */
export function createFileTokenStore(stateDir: string, platform: NodeJS.Platform = process.platform): TokenStore {
  const path = statePath(stateDir, 'device');

  async function exposure(): Promise<string | undefined> {
    if (platform === 'win32') return undefined;
    const st = await lstat(path);
    if (!st.isFile()) return `${path} is not a plain file`;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid())
      return `${path} belongs to another user (uid ${st.uid})`;
    if ((st.mode & 0o077) !== 0)
      return `${path} is readable or writable by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
    return undefined;
  }

  return {
    location: path,
    async load() {
      try {
        const problem = await exposure();
        if (problem) {
          await unlink(path);
          return { status: 'unusable', reason: `${problem}; the token was discarded` };
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
        throw new EnrollError('TOKEN_UNREADABLE', `cannot check ${path}: ${(err as Error).message}`, { cause: err });
      }
      const read = await readJsonState(path, (json) => DeviceCredentials.parse(json));
      if (read.status === 'missing') return { status: 'missing' };
      if (read.status === 'corrupt')
        return { status: 'unusable', reason: `${path} was corrupt (${read.reason}); moved to ${read.movedTo}` };
      return { status: 'ok', credentials: read.value };
    },
    async save(credentials) {
      await ensureStateFolder(stateDir, { platform });
      await writeFileAtomic(path, JSON.stringify(DeviceCredentials.parse(credentials)) + '\n', 0o600);
    },
    async clear() {
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
  };
}
