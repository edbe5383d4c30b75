import { z } from 'zod';
import { SourceError } from '../../errors.js';

/**
 * Conventions shared by the sources' raw data. `validateRaw` is used by every source's parser (a capture read from
 * disk may be anything); the rest applies to the Linux sources.
 *
 * "Not present": a source whose store does not exist on this root (no rpm database, no flatpak or snapd
 * folder, no dpkg status file) returns `{ present: false }` from collect. It is not a failure: the source is
 * reported ok with zero records and no problems. A store that exists but cannot be read is a failure
 * (collect rejects with a SourceError). Single items that cannot be read (one unreadable home, one bad
 * .desktop file) are `problems`: the source still counts and says what it skipped.
 */
export const NotPresent = z.object({ present: z.literal(false) });
export type NotPresent = z.infer<typeof NotPresent>;
export const NOT_PRESENT: NotPresent = { present: false };

export const Problems = z.array(z.string()).default([]);

export const Scope = z.enum(['machine', 'user']);

/** A text file read below the root: where it is (as the inventoried system sees it) and its content. */
export const RawTextFile = z.object({ path: z.string(), text: z.string() });
export type RawTextFile = z.infer<typeof RawTextFile>;

/**
 * Validates raw data that may have been read back from a saved capture. Throws SourceError('RAW_INVALID'),
 * which marks this one source as failed (parseRawInventory catches it), naming the first bad field.
 */
export function validateRaw<S extends z.ZodType>(schema: S, raw: unknown, sourceId: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new SourceError(
    'RAW_INVALID',
    `${sourceId}: raw data is not in the expected shape at ${issue?.path.join('.') || '(top)'}: ${issue?.message}`,
  );
}

/** Size caps for files read into a capture: a real one is far smaller, a bigger one is damage or an attack. */
export const MAX_SMALL_FILE = 256 * 1024; // .desktop, flatpak metadata, snap.yaml
export const MAX_METAINFO_FILE = 1024 * 1024; // AppStream XML with many translations
