/**
 * Multi-row statements built by Kysely once per dialect and row count, then run with new parameters. Kysely parses and
 * compiles every value of a 100-row upsert anew each time (1,700 values for the ladder rows): about 40 % of the
 * sweep's write time. The SQL of such a statement depends on the row count alone, and its parameters are the rows'
 * values in the order of `columns`; the test (test/server/repositories/compiled-rows.test.ts) holds both to Kysely's
 * own compilation on both dialects.
 */
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { chunks } from './chunks.js';

export function compiledRows<R extends object>(opts: {
  /** Every column of a row, in the order the statement lists them (the order of `build`'s row objects). */
  columns: readonly (keyof R & string)[];
  /** Rows per statement at most (bind-parameter limits). */
  perStatement: number;
  /** The statement for these rows; only their number matters, their values are placeholders. */
  build: (db: Kysely<Database>, rows: R[]) => Compilable;
}) {
  const texts = new Map<string, string>();
  const sqlFor = (db: Kysely<Database>, n: number): string => {
    const key = `${db.getExecutor().adapter.constructor.name}:${n}`;
    let text = texts.get(key);
    if (text === undefined) {
      const blank = Object.fromEntries(opts.columns.map((c) => [c, null])) as R;
      text = opts
        .build(
          db,
          Array.from({ length: n }, () => blank),
        )
        .compile().sql;
      texts.set(key, text);
    }
    return text;
  };
  return {
    /** The statements for these rows (for tests and for `run`). */
    compile(db: Kysely<Database>, rows: readonly R[]): CompiledQuery[] {
      return chunks(rows, opts.perStatement).map((part) => {
        const params: unknown[] = [];
        for (const r of part) for (const c of opts.columns) params.push(r[c] ?? null);
        return CompiledQuery.raw(sqlFor(db, part.length), params);
      });
    },
    /** What Kysely itself compiles for these rows: the reference the tests compare `compile` with. */
    reference(db: Kysely<Database>, rows: readonly R[]): CompiledQuery[] {
      return chunks(rows, opts.perStatement).map((part) => opts.build(db, part).compile());
    },
    async run(db: Kysely<Database>, rows: readonly R[]): Promise<void> {
      for (const q of this.compile(db, rows)) await db.executeQuery(q);
    },
  };
}
