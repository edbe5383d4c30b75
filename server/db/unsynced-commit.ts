/**
 * A transaction whose commit, on SQLite in WAL mode, is not fsynced (`synchronous=NORMAL` for this one transaction),
 * for the escalation sweep. Why that is safe:
 * - A process crash (SIGKILL, OOM) loses nothing: the commit is in the WAL file, the OS writes it out.
 * - A power cut may lose the last such commits, never half of one (WAL stays consistent under NORMAL). What they wrote
 *   is derived state: the rows they stepped keep their old `next_at`, so the next sweep redoes them.
 * - Nothing leaves the machine on the strength of an unsynced commit: a mail or webhook goes out only after its lease
 *   commit, which runs under the server's own setting (FULL by default), and a WAL fsync covers every frame before it.
 * Elsewhere (PostgreSQL, SQLite not in WAL mode, or synchronous already NORMAL/OFF) it is a plain transaction.
 * The connection is held from the first pragma to the last, so no other transaction (a report's 2xx) commits under
 * the relaxed setting.
 */
import { SqliteAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

/** SQLite's numbers for PRAGMA synchronous. */
const FULL = 2;
const NORMAL = 1;

/** Per database: the synchronous level to restore, or null when relaxing would change nothing (or be unsafe). */
const restoreLevel = new WeakMap<Kysely<Database>, number | null>();

async function levelToRestore(db: Kysely<Database>): Promise<number | null> {
  const known = restoreLevel.get(db);
  if (known !== undefined) return known;
  const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
  const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
  const level = Number(sync.rows[0]?.synchronous);
  // Outside WAL, NORMAL can corrupt the file on power loss: keep whatever is set.
  const restore = mode.rows[0]?.journal_mode.toLowerCase() === 'wal' && level >= FULL ? level : null;
  restoreLevel.set(db, restore);
  return restore;
}

export async function unsyncedTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return db.transaction().execute(work);
  const restore = await levelToRestore(db);
  if (restore === null) return db.transaction().execute(work);
  return db.connection().execute(async (conn) => {
    await sql.raw(`pragma synchronous = ${NORMAL}`).execute(conn);
    try {
      return await conn.transaction().execute(work);
    } finally {
      await sql.raw(`pragma synchronous = ${restore}`).execute(conn);
    }
  });
}
