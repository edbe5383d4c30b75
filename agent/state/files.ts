import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { AppwachtError } from '../errors.js';

/** Disk trouble the agent survives: it keeps running and says so. */
export class StateFileError extends AppwachtError {}

/**
 * Writes a file so that a reader sees either the old or the new content, never a torn one, even
 * when the process is killed or the power fails mid-write: temp file in the same folder, fsync, rename,
 * fsync of the folder. ENOSPC/EDQUOT surface as StateFileError('DISK_FULL') and leave the old file intact.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  // The name only has to differ between concurrent writers, it is no secret: Math.random, not node:crypto, whose load
  // would cost every CLI start that reads config ~5 ms.
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    const handle = await open(tmp, 'w', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT')
      throw new StateFileError('DISK_FULL', `disk full while writing ${path}`, { cause: err });
    throw new StateFileError('WRITE_FAILED', `could not write ${path}: ${(err as Error).message}`, { cause: err });
  }
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable. Windows cannot open folders for fsync; there NTFS journals the rename.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export type JsonRead<T> =
  { status: 'missing' } | { status: 'ok'; value: T } | { status: 'corrupt'; movedTo: string; reason: string };

/**
 * Reads a JSON state file. A file that does not parse or fails `validate` is moved aside
 * (`<name>.corrupt-<timestamp>`) so it can be inspected, and the caller starts fresh and says so. `validate` also gets
 * the exact text it checks (the policy store remembers which bytes it checked, policy/checked-marker.ts).
 */
export async function readJsonState<T>(path: string, validate: (value: unknown, text: string) => T): Promise<JsonRead<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    throw new StateFileError('READ_FAILED', `could not read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return { status: 'ok', value: validate(JSON.parse(text), text) };
  } catch (err) {
    const movedTo = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(path, movedTo);
    return { status: 'corrupt', movedTo, reason: (err as Error).message.split('\n')[0]!.slice(0, 200) };
  }
}
