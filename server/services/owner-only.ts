import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { ConfigError } from '../errors.js';

/**
 * The data folder holds the signing key, the enrollment secret and the database (password and token hashes): owner-only,
 * enforced on every start, not only when created (issue 14, finding 6): a folder restored from a backup, created by
 * hand or loosened by a `chmod -R` would otherwise stay readable by every local user, and SQLite follows the umask.
 * No-ops on Windows, where POSIX modes do not exist (the folder inherits its ACL).
 */
const POSIX = process.platform !== 'win32';

function tighten(path: string, mode: number, what: string): void {
  try {
    chmodSync(path, mode);
  } catch (err) {
    throw new ConfigError(
      `${path}: cannot make the ${what} owner-only (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
        'it must belong to the user the server runs as',
    );
  }
}

/** Creates the folder if needed and sets it to 0700. */
export function ownerOnlyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (POSIX) tighten(dir, 0o700, 'data folder');
}

/** Sets an existing file to 0600; a missing one is left alone. */
export function ownerOnlyFile(path: string): void {
  if (POSIX && existsSync(path)) tighten(path, 0o600, 'file');
}

/**
 * The SQLite database and its companions, 0600. A missing database file is created empty with 0600 first, so SQLite
 * never creates it under the umask; SQLite gives the -wal and -shm it creates the database file's mode.
 */
export function ownerOnlySqlite(file: string): void {
  if (!POSIX) return;
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) ownerOnlyFile(f);
}
