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
    /** Newest first, keyset on the version. Returns `limit + 1` rows at most; the caller knows there is a next page. */
    async list(q: { limit: number; beforeVersion?: number | undefined }) {
      let query = db.selectFrom('policies').select(['version', 'key_id', 'etag', 'created_at', 'created_by']);
      if (q.beforeVersion !== undefined) query = query.where('version', '<', q.beforeVersion);
      return query
        .orderBy('version', 'desc')
        .limit(q.limit + 1)
        .execute();
    },
    /** Fails with a unique violation if the version exists: two admins saving at once cannot both win. */
    async insert(row: PolicyRow): Promise<void> {
      await db.insertInto('policies').values(row).execute();
    },
    /**
     * Replaces a version's signed bytes with a renewal (same content, later expiry), only if it still holds `etag`:
     * two servers renewing at once do not both write. Returns whether this call wrote.
     */
    async renew(version: number, etag: string, renewed: Pick<PolicyRow, 'payload' | 'signature' | 'key_id' | 'etag'>) {
      const result = await db
        .updateTable('policies')
        .set({ ...renewed, expiry_renewable: 1 })
        .where('version', '=', version)
        .where('etag', '=', etag)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
export type PoliciesRepo = ReturnType<typeof policiesRepo>;
