import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../connect.js';

/** The first schema. Written once for both dialects; only the auto-increment column differs. */
export function initial(dialect: DialectName): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('machine_id', 'text', (c) => c.notNull().unique())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('os', 'text', (c) => c.notNull())
        .addColumn('os_version', 'text', (c) => c.notNull())
        .addColumn('os_user', 'text', (c) => c.notNull())
        .addColumn('agent_version', 'text', (c) => c.notNull())
        .addColumn('enrolled_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('last_scanned_at', 'bigint')
        .addColumn('last_report_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('unknown'))
        .addColumn('failing_since', 'bigint')
        .addColumn('deadline', 'bigint')
        .addColumn('past_deadline', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('policy_version', 'integer')
        .addColumn('findings_key', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      // Keyset pagination: every sortable column is indexed together with the id tie-breaker, and the two
      // equality filters (status, os) lead an index that continues in the default order (last seen).
      for (const [name, cols] of [
        ['devices_last_seen', ['last_seen_at', 'id']],
        ['devices_status_last_seen', ['status', 'last_seen_at', 'id']],
        ['devices_os_last_seen', ['os', 'last_seen_at', 'id']],
        ['devices_hostname', ['hostname', 'id']],
        ['devices_enrolled', ['enrolled_at', 'id']],
        ['devices_status_id', ['status', 'id']],
      ] as const) {
        await db.schema
          .createIndex(name)
          .on('devices')
          .columns([...cols])
          .execute();
      }

      await db.schema
        .createTable('device_apps')
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('device_apps_pk', ['device_id', 'rule_id'])
        .execute();
      await db.schema.createIndex('device_apps_app').on('device_apps').columns(['app_id', 'device_id']).execute();

      await db.schema
        .createTable('reports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('scanned_at', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('policy_version', 'integer')
        .addColumn('agent_version', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('reports_device_scanned').on('reports').columns(['device_id', 'scanned_at', 'id']).execute();
      await db.schema.createIndex('reports_received').on('reports').column('received_at').execute();

      await db.schema
        .createTable('policies')
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('etag', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', dialect === 'postgres' ? sql`bigserial` : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('details', 'text')
        .execute();

      await db.schema
        .createTable('admins')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('admin_id', 'text', (c) => c.notNull().references('admins.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('admin_id', 'text', (c) => c.notNull().references('admins.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
    },

    async down(db: Kysely<unknown>) {
      for (const t of ['api_tokens', 'sessions', 'admins', 'audit_log', 'policies', 'reports', 'device_apps', 'devices']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  };
}
