import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../connect.js';

/**
 * Issue 14 (findings 1 and 3): re-enrollment requests that wait for an admin, and what bounds a device's stored
 * report history (its size per report, and running totals per device so the bound costs no scan per report).
 */
export function deviceSecurity(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('enrollment_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('machine_id', 'text', (c) => c.notNull())
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('os', 'text', (c) => c.notNull())
        .addColumn('os_version', 'text', (c) => c.notNull())
        .addColumn('os_user', 'text', (c) => c.notNull())
        .addColumn('agent_version', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('decided_at', 'bigint')
        .addColumn('decided_by', 'text')
        .execute();
      await db.schema
        .createIndex('enrollment_requests_status')
        .on('enrollment_requests')
        .columns(['status', 'requested_at', 'id'])
        .execute();
      await db.schema
        .createIndex('enrollment_requests_machine')
        .on('enrollment_requests')
        .columns(['machine_id', 'status'])
        .execute();

      await db.schema
        .alterTable('reports')
        .addColumn('body_bytes', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('devices')
        .addColumn('history_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('devices')
        .addColumn('history_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      // The history bound prunes a device's oldest reports by arrival.
      await db.schema.createIndex('reports_device_received').on('reports').columns(['device_id', 'received_at', 'id']).execute();
      const bytes = dialect === 'postgres' ? sql`octet_length(body)` : sql`length(cast(body as blob))`;
      await sql`update reports set body_bytes = ${bytes}`.execute(db);
      await sql`update devices set
        history_count = (select count(*) from reports r where r.device_id = devices.id),
        history_bytes = (select coalesce(sum(r.body_bytes), 0) from reports r where r.device_id = devices.id)`.execute(db);
    },

    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('reports_device_received').ifExists().execute();
      await db.schema.alterTable('devices').dropColumn('history_bytes').execute();
      await db.schema.alterTable('devices').dropColumn('history_count').execute();
      await db.schema.alterTable('reports').dropColumn('body_bytes').execute();
      await db.schema.dropTable('enrollment_requests').ifExists().execute();
    },
  };
}
