import type { Kysely, Migration } from 'kysely';

/**
 * The admin dashboard (issue 9): admin roles, the daily compliance snapshots the overview chart reads, and the
 * indexes its device list filters need.
 * - `admins.role`: `admin` may change things, `readonly` may only look (enforced in routes/admin/index.ts).
 *   Every admin that exists keeps full rights.
 * - `compliance_daily`: one row per UTC day with the fleet's counts per dashboard state, written by a timer, so
 *   the chart never recomputes history from reports.
 * - Indexes: the ladder step/reason (state filters), the OS user (search), the policy version (filter).
 */
export const dashboard: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('admins')
      .addColumn('role', 'text', (c) => c.notNull().defaultTo('admin'))
      .execute();
    await db.schema
      .createTable('compliance_daily')
      .addColumn('day', 'text', (c) => c.primaryKey()) // YYYY-MM-DD, UTC
      .addColumn('taken_at', 'bigint', (c) => c.notNull())
      .addColumn('counts', 'text', (c) => c.notNull()) // JSON: state → devices
      .execute();
    await db.schema.createIndex('device_ladder_state').on('device_ladder').columns(['step', 'reason', 'device_id']).execute();
    await db.schema.createIndex('devices_os_user').on('devices').columns(['os_user', 'id']).execute();
    await db.schema
      .createIndex('devices_policy_last_seen')
      .on('devices')
      .columns(['policy_version', 'last_seen_at', 'id'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('devices_policy_last_seen').ifExists().execute();
    await db.schema.dropIndex('devices_os_user').ifExists().execute();
    await db.schema.dropIndex('device_ladder_state').ifExists().execute();
    await db.schema.dropTable('compliance_daily').ifExists().execute();
    await db.schema.alterTable('admins').dropColumn('role').execute();
  },
};
