import { z } from 'zod';
import { UPDATE_FILE_PATTERN, describeIssues } from '../../protocol/index.js';
import { AppwachtError } from '../errors.js';
import { parseYaml } from '../lazy-yaml.js';

/** An update index that cannot be used: not YAML, not the format, no usable file. */
export class UpdateIndexError extends AppwachtError {}

/** The largest installer the agent downloads (an Electron app with the Node runtime is ~150 MB). */
export const INSTALLER_MAX_BYTES = 1024 * 1024 * 1024;

/** One installer the index names, with what its download must match. */
export interface IndexedFile {
  /** A file name in the same channel folder of the feed (one safe path segment, protocol/updates.ts). */
  name: string;
  /** base64 of the SHA-512, as electron-builder writes it. */
  sha512: string;
  size: number;
}

export interface UpdateIndex {
  version: string;
  files: IndexedFile[];
  /** Entries that were not taken, and why (a URL to another host, a path, a bad hash): said, never followed. */
  refused: { url: string; reason: string }[];
  releaseDate?: string;
}

const Entry = z.object({
  url: z.string().min(1).max(2000),
  sha512: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'sha512 must be the base64 of 64 bytes'),
  size: z.number().int().min(1).max(INSTALLER_MAX_BYTES),
});

// Not strict: electron-builder writes more (path, sha512 of the first file, blockMapSize, isAdminRightsRequired).
const Index = z.object({
  version: z.string().min(1).max(100),
  files: z.array(z.unknown()).min(1).max(50),
  releaseDate: z.string().max(100).optional(),
});

/**
 * Parses a latest*.yml. Every file must be a plain name in the index's own folder: an absolute URL (another host, or
 * this one), a path or an escape is refused, so what the agent downloads always comes from the configured server's feed
 * folder that the signed index belongs to. electron-builder's generic provider writes plain names, so this costs nothing.
 */
export function parseUpdateIndex(text: string): UpdateIndex {
  let value: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs"); the text itself is size-capped by the download.
    value = parseYaml(text, { maxAliasCount: 50 });
  } catch (err) {
    throw new UpdateIndexError('UPDATE_INDEX_INVALID', `the update index is not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const index = Index.safeParse(value);
  if (!index.success)
    throw new UpdateIndexError(
      'UPDATE_INDEX_INVALID',
      `the update index is not in the expected format: ${describeIssues(index.error, 3)}`,
    );
  const files: IndexedFile[] = [];
  const refused: UpdateIndex['refused'] = [];
  for (const raw of index.data.files) {
    const entry = Entry.safeParse(raw);
    const url = String((raw as { url?: unknown } | null)?.url ?? '').slice(0, 200);
    if (!entry.success) refused.push({ url, reason: describeIssues(entry.error, 2) });
    else if (!UPDATE_FILE_PATTERN.test(entry.data.url))
      refused.push({ url, reason: 'not a plain file name in the feed folder (URLs and paths are not followed)' });
    else files.push({ name: entry.data.url, sha512: entry.data.sha512, size: entry.data.size });
  }
  return {
    version: index.data.version,
    files,
    refused,
    ...(index.data.releaseDate !== undefined ? { releaseDate: index.data.releaseDate } : {}),
  };
}
