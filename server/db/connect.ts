import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { ownerOnlySqlite } from '../services/owner-only.js';
import { Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import { OwnSchemasPostgresDialect } from './introspector.js';
import pg from 'pg';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export type DatabaseTarget =
  | { kind: 'sqlite'; file: string; synchronous?: 'full' | 'normal' }
  | { kind: 'postgres'; url: string; poolMax?: number; searchPath?: string };

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Cheap round trip for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;

/** int8 (bigint) → number: our timestamps are epoch milliseconds, far below 2^53. Per pool, not global. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew; better-sqlite3 statements can be reused, and preparing costs about as much as
 * running a small query. Our queries are built from a fixed set of shapes, so an LRU keyed by SQL text hits almost
 * always. Safe because nothing here streams (`iterate`) a statement while it could be reused.
 */
export function withStatementCache(raw: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => raw.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (stmt) {
        cache.delete(text); // re-insert: Map order is the LRU order
      } else {
        stmt = raw.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, stmt);
      return stmt;
    },
  };
}

export function openDatabase(target: DatabaseTarget): DatabaseHandle {
  if (target.kind === 'sqlite') {
    mkdirSync(dirname(target.file), { recursive: true });
    ownerOnlySqlite(target.file);
    const raw = new SQLite(target.file);
    raw.pragma('journal_mode = WAL');
    // FULL: a commit is fsynced before we acknowledge it, so a 2xx survives even a power cut (not only a crash);
    // group commit (services/report-ingest.ts) amortises the fsync. NORMAL survives process kills but not power loss.
    raw.pragma(`synchronous = ${target.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    raw.pragma('busy_timeout = 5000');
    raw.pragma('foreign_keys = ON');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
    return {
      db,
      dialect: 'sqlite',
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: () => db.destroy(),
    };
  }
  const pool = new pg.Pool({
    connectionString: target.url,
    max: target.poolMax ?? 10,
    types: pgTypes,
    ...(target.searchPath ? { options: `-c search_path=${target.searchPath}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new OwnSchemasPostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
