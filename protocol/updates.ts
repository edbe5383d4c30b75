import type { OsName } from './common.js';

/**
 * The update feed's names, shared by the server that serves it (server/updates/feed.ts) and the machine agent that
 * reads it (agent/update/): `/updates/<channel>/<file>`, both one path segment by construction.
 */

/**
 * A channel: a folder of the feed. The hyphen is escaped because the dashboard also uses this as an HTML `pattern`,
 * which browsers compile with the `v` flag, where an unescaped `-` in a class is a syntax error (and the check is lost).
 */
// eslint-disable-next-line no-useless-escape -- needed by the HTML pattern's `v` flag, as said above
export const UPDATE_CHANNEL_PATTERN = /^[a-z0-9][a-z0-9\-]{0,31}$/;

/** A file of the feed: one path segment, no leading dot (no "..", no hidden files), no separators or escapes. */
export const UPDATE_FILE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

/** The index file electron-builder's generic provider reads per OS. */
export const UPDATE_INDEX_OF: Record<OsName, string> = {
  windows: 'latest.yml',
  linux: 'latest-linux.yml',
  macos: 'latest-mac.yml',
};
