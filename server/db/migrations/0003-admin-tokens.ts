import { sql, type Kysely, type Migration } from 'kysely';

/** Tokens an API token can no longer outlive (issue 14 finding 4), and the column for retiring devices (finding 8). */
export function adminTokens(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // Every token expires. Tokens from before this migration get 90 days from their creation.
      await db.schema.alterTable('api_tokens').addColumn('expires_at', 'bigint').execute();
      await sql`update api_tokens set expires_at = created_at + ${90 * 86_400_000}`.execute(db);
      // Lineage: the login session a token was created in (null for tokens from before this migration, which may have
      // been created by another token; a password change ends them all the same).
      await db.schema.alterTable('api_tokens').addColumn('created_in_session', 'text').execute();
      await db.schema.createIndex('api_tokens_admin').on('api_tokens').columns(['admin_id', 'revoked_at']).execute();
      // A retired device keeps its history but has no token and is left out of the lists by default.
      await db.schema.alterTable('devices').addColumn('retired_at', 'bigint').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('api_tokens_admin').ifExists().execute();
      await db.schema.alterTable('api_tokens').dropColumn('created_in_session').execute();
      await db.schema.alterTable('api_tokens').dropColumn('expires_at').execute();
      await db.schema.alterTable('devices').dropColumn('retired_at').execute();
    },
  };
}
