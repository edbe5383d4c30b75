import type { Kysely } from 'kysely';
import type { Database, PolicyRow } from '../db/schema.js';

export function policiesRepo(db: Kysely<Database>) {
  return {
    async latestVersion(): Promise<number | null> {
      const row = await db.selectFrom('policies').select('version').orderBy('version', 'desc').limit(1).executeTakeFirst();
      return row?.version ?? null;
    },
    async get(version: number): Promise<PolicyRow | undefined> {
      return db.selectFrom('policies').selectAll().where('version', '=', version).executeTakeFirst();
    },
    async list(limit: number, beforeVersion?: number) {
      let q = db.selectFrom('policies').select(['version', 'key_id', 'etag', 'created_at', 'created_by']);
      if (beforeVersion !== undefined) q = q.where('version', '<', beforeVersion);
      return q.orderBy('version', 'desc').limit(limit).execute();
    },
    /** Fails with a unique violation if the version exists: two admins saving at once cannot both win. */
    async insert(row: PolicyRow): Promise<void> {
      await db.insertInto('policies').values(row).execute();
    },
    async count(): Promise<number> {
      const row = await db
        .selectFrom('policies')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
export type PoliciesRepo = ReturnType<typeof policiesRepo>;
