import { createReadStream, type ReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UPDATE_CHANNEL_PATTERN, UPDATE_FILE_PATTERN, UPDATE_INDEX_OF } from '../../protocol/updates.js';

/**
 * The update feed (issue 11): a folder the admin publishes releases into, `<data dir>/updates/<channel>/`, holding the
 * installers and the index files electron-updater's generic provider reads (latest.yml for Windows, latest-linux.yml,
 * latest-mac.yml; written by electron-builder or scripts/packaging/update-info.mjs). The server serves it read-only as
 * /updates/<channel>/<file>; the agent verifies each download against the sha512 of the index.
 */
export function updatesDir(dataDir: string): string {
  return join(dataDir, 'updates');
}

/** The OS each index file is for (protocol/updates.ts names them); any other file is an installer. */
const OS_OF = new Map(Object.entries(UPDATE_INDEX_OF).map(([os, index]) => [index, os as ChannelRelease['os']]));

export interface FeedFile {
  path: string;
  size: number;
  index: boolean;
  open(): ReadStream;
}

/** The file behind /updates/<channel>/<file>, or undefined for anything that is not a plain file of the feed. */
export async function feedFile(dir: string, channel: string, file: string): Promise<FeedFile | undefined> {
  if (!UPDATE_CHANNEL_PATTERN.test(channel) || !UPDATE_FILE_PATTERN.test(file)) return undefined;
  const path = join(dir, channel, file);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  return { path, size: info.size, index: OS_OF.has(file), open: () => createReadStream(path) };
}

export interface ChannelRelease {
  channel: string;
  /** latest.yml → windows, latest-linux.yml → linux, latest-mac.yml → macos. */
  os: 'windows' | 'linux' | 'macos';
  version?: string;
  releaseDate?: string;
  files: { url: string; size?: number; present: boolean }[];
  /** What is wrong with the index (unreadable YAML, no version, a listed file missing): shown to the admin. */
  problem?: string;
}

/** Every channel's published releases, read from the index files; a broken index is reported, never thrown. */
export async function readFeed(dir: string): Promise<ChannelRelease[]> {
  const channels = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter(
    (d) => d.isDirectory() && UPDATE_CHANNEL_PATTERN.test(d.name),
  );
  const releases: ChannelRelease[] = [];
  for (const { name: channel } of channels.sort((a, b) => a.name.localeCompare(b.name))) {
    const names = await readdir(join(dir, channel));
    for (const index of names.filter((n) => OS_OF.has(n)).sort()) {
      const release: ChannelRelease = { channel, os: OS_OF.get(index)!, files: [] };
      try {
        const info = parse(await readFile(join(dir, channel, index), 'utf8')) as {
          version?: unknown;
          releaseDate?: unknown;
          files?: { url?: unknown; size?: unknown }[];
        } | null;
        if (!info || typeof info.version !== 'string') throw new Error('no version');
        release.version = info.version;
        if (typeof info.releaseDate === 'string') release.releaseDate = info.releaseDate;
        for (const f of Array.isArray(info.files) ? info.files : []) {
          if (typeof f?.url !== 'string') continue;
          release.files.push({
            url: f.url,
            ...(typeof f.size === 'number' && { size: f.size }),
            present: UPDATE_FILE_PATTERN.test(f.url) && names.includes(f.url),
          });
        }
        const missing = release.files.filter((f) => !f.present).map((f) => f.url);
        if (release.files.length === 0) release.problem = `${index} lists no files`;
        else if (missing.length) release.problem = `${index} lists files that are not in the folder: ${missing.join(', ')}`;
      } catch (err) {
        release.problem = `${index} cannot be read: ${(err as Error).message}`;
      }
      releases.push(release);
    }
  }
  return releases;
}
