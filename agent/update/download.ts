import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { networkReason } from '../transport/api-client.js';
import { UpdateError } from './errors.js';
import { feedGet, type FeedLocation } from './feed-client.js';
import type { IndexedFile } from './index-file.js';

/**
 * A download must finish within this: a turn has 5 minutes (supervisor.ts) and scans first. An installer of ~150 MB
 * needs ~7 Mbit/s; a slower link fails the download, which is said and tried again at the next check.
 */
export const DOWNLOAD_DEADLINE_MS = 180_000;

/** `<dir>/<name>`: the name is one safe segment (index-file.ts), so this stays inside the downloads folder. */
export function downloadPath(dir: string, file: Pick<IndexedFile, 'name'>): string {
  return join(dir, file.name);
}

/**
 * Downloads an installer of the feed into `dir` (the state folder's updates/, root-only), streaming: never more bytes
 * than the index says (a larger answer is cut off at once), hashed on the way, written to `<name>.part` and renamed to
 * its name only when size and sha512 both match. Whatever fails, the partial file is deleted: nothing unverified is
 * ever left under the installer's name. Returns the verified file's path.
 */
export async function downloadInstaller(
  feed: FeedLocation,
  file: IndexedFile,
  dir: string,
  options: { signal?: AbortSignal; deadlineMs?: number } = {},
): Promise<string> {
  const dest = downloadPath(dir, file);
  const part = `${dest}.part`;
  const deadlineMs = options.deadlineMs ?? DOWNLOAD_DEADLINE_MS;
  const response = await feedGet(feed, file.name, deadlineMs, options.signal).catch((err: UpdateError) => {
    throw new UpdateError('DOWNLOAD_FAILED', err.message, { cause: err });
  });
  const announced = response.headers.get('content-length');
  if (announced !== null && Number(announced) !== file.size) {
    await response.body?.cancel().catch(() => {});
    throw new UpdateError(
      Number(announced) > file.size ? 'DOWNLOAD_TOO_LARGE' : 'DOWNLOAD_TRUNCATED',
      `${file.name}: the server announces ${announced} bytes, the index ${file.size}`,
    );
  }
  const handle = await open(part, 'w', 0o600);
  const hash = createHash('sha512');
  let size = 0;
  let done = false;
  try {
    if (!response.body) throw new UpdateError('DOWNLOAD_TRUNCATED', `${file.name}: the answer has no body`);
    try {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > file.size)
          throw new UpdateError('DOWNLOAD_TOO_LARGE', `${file.name}: more than the ${file.size} bytes the index says`);
        hash.update(chunk);
        await handle.write(chunk);
      }
    } catch (err) {
      if (err instanceof UpdateError) throw err;
      throw new UpdateError('DOWNLOAD_FAILED', `${file.name}: ${networkReason(err, deadlineMs)} after ${size} bytes`, {
        cause: err,
      });
    }
    if (size < file.size) throw new UpdateError('DOWNLOAD_TRUNCATED', `${file.name}: ${size} of ${file.size} bytes arrived`);
    const got = hash.digest('base64');
    if (got !== file.sha512)
      throw new UpdateError(
        'SHA512_MISMATCH',
        `${file.name}: sha512 ${got.slice(0, 16)}… is not the index's ${file.sha512.slice(0, 16)}…`,
      );
    await handle.sync();
    done = true;
  } finally {
    await handle.close().catch(() => {});
    if (!done) {
      await response.body?.cancel().catch(() => {});
      await unlink(part).catch(() => {});
    }
  }
  await rename(part, dest);
  return dest;
}

/**
 * Checks a downloaded file again right before it runs (it waited in the state folder, maybe for hours): size and sha512
 * as the index said. A mismatch deletes the file.
 */
export async function verifyDownloaded(path: string, file: Pick<IndexedFile, 'name' | 'sha512' | 'size'>): Promise<void> {
  const hash = createHash('sha512');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > file.size) break;
      hash.update(chunk);
    }
  } catch (err) {
    throw new UpdateError('SHA512_MISMATCH', `${file.name}: cannot be read again: ${(err as Error).message}`, { cause: err });
  }
  if (size !== file.size || hash.digest('base64') !== file.sha512) {
    await unlink(path).catch(() => {});
    throw new UpdateError('SHA512_MISMATCH', `${file.name} changed on disk since it was verified; deleted`);
  }
}
