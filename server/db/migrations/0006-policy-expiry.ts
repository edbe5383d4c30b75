import type { Kysely, Migration } from 'kysely';

/**
 * Issue 14 finding 2: policies get a default expiry that the server renews by re-signing. `expiry_renewable` says whether
 * the expiry is the server's default (1: renewed) or one an admin chose (0: the policy ends then). NULL for rows written
 * before this migration: renewable exactly when their payload carries no expiresAt (policy-store.ts decides).
 */
export const policyExpiry: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('policies').addColumn('expiry_renewable', 'integer').execute();
  },
};
