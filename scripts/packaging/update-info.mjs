// The update feed's index files, in the format electron-updater's generic provider reads (latest.yml for Windows,
// latest-linux.yml, latest-mac.yml): version, files with sha512 (base64) and size, release date. electron-builder
// writes them for its own targets; the deb, rpm and NSIS installer here are ours, so this writes them for those.
// The admin publishes a release by copying the installers and these files into the server's
// <data dir>/updates/<channel>/ folder (server/updates/feed.ts serves it as /updates/<channel>/<file>).
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'yaml';

export async function updateInfo(files, version, releaseDate = new Date().toISOString()) {
  const entries = [];
  for (const file of files) {
    const bytes = await readFile(file);
    entries.push({
      url: basename(file),
      sha512: createHash('sha512').update(bytes).digest('base64'),
      size: (await stat(file)).size,
    });
  }
  return { version, files: entries, path: entries[0].url, sha512: entries[0].sha512, releaseDate };
}

/** Writes <folder of the first file>/<name> (latest.yml, latest-linux.yml, latest-mac.yml) and returns its path. */
export async function writeUpdateInfo(name, files, version) {
  const out = join(dirname(files[0]), name);
  await writeFile(out, stringify(await updateInfo(files, version)));
  return out;
}
