import type { z } from 'zod';
import { SourceError } from '../../errors.js';

/**
 * Conventions shared by the sources' raw data; nothing here loads zod.
 *
 * Shapes: each source writes the shape of its raw data once, as a zod schema built by a function of zod
 * (`(z) => z.object(…)`), and derives its TypeScript type from it (`RawOf`). Why a function and not a schema: a live
 * scan parses what our own typed collect code just produced, which needs no check, so zod (and building every schema)
 * is paid only when a capture is read from disk; `checkRaw` then loads zod and builds the schema. The type stays tied to
 * the check because it is derived from the same function (`import type` only: no zod at run time).
 *
 * "Not present": a source whose store does not exist on this root (no rpm database, no flatpak or snapd
 * folder, no dpkg status file) returns `{ present: false }` from collect. It is not a failure: the source is
 * reported ok with zero records and no problems. A store that exists but cannot be read is a failure
 * (collect rejects with a SourceError). Single items that cannot be read (one unreadable home, one bad
 * .desktop file) are `problems`: the source still counts and says what it skipped.
 */

/** zod itself (the `z` namespace), handed to a shape when a capture is checked. */
export type Zod = typeof z;
/** A raw-data shape: builds its zod schema from zod. */
export type RawShape = (zod: Zod) => z.ZodType;
/** The TypeScript type of data of that shape, after the check (defaults applied): what `collect` returns. */
export type RawOf<S extends RawShape> = z.output<ReturnType<S>>;

export const NotPresent = (zod: Zod) => zod.object({ present: zod.literal(false) });
export type NotPresent = RawOf<typeof NotPresent>;
export const NOT_PRESENT: NotPresent = { present: false };

/** A capture may leave it out; collect always fills it. */
export const Problems = (zod: Zod) => zod.array(zod.string()).default([]);

export const Scope = (zod: Zod) => zod.enum(['machine', 'user']);

/** A text file read below the root: where it is (as the inventoried system sees it) and its content. */
export const RawTextFile = (zod: Zod) => zod.object({ path: zod.string(), text: zod.string() });
export type RawTextFile = RawOf<typeof RawTextFile>;

/**
 * Checks raw data read back from a saved capture (it may be anything) and applies the shape's defaults. Throws
 * SourceError('RAW_INVALID'), which marks this one source as failed (parseRawInventory catches it), naming the first
 * bad field. Loads zod on first use.
 */
export async function checkRaw<S extends RawShape>(shape: S, raw: unknown, sourceId: string): Promise<RawOf<S>> {
  const { checkShape } = await import('../capture-check.js');
  const result = checkShape(shape, raw);
  if (result.ok) return result.data as RawOf<S>;
  throw new SourceError('RAW_INVALID', `${sourceId}: raw data is not in the expected shape at ${result.issue}`);
}

/** Size caps for files read into a capture: a real one is far smaller, a bigger one is damage or an attack. */
export const MAX_SMALL_FILE = 256 * 1024; // .desktop, flatpak metadata, snap.yaml
export const MAX_METAINFO_FILE = 1024 * 1024; // AppStream XML with many translations
