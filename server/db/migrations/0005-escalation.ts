import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../connect.js';

/**
 * The escalation ladder (one row per device, found by the sweep through `next_at`), employees and their access
 * decision, exemptions, the OS-user → mail mapping, and the durable mail and webhook queues.
 */
export function escalation(dialect: DialectName): Migration {
  const serial = dialect === 'postgres' ? sql`bigserial` : sql`integer`;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('device_ladder')
        .addColumn('device_id', 'text', (c) => c.primaryKey().references('devices.id').onDelete('cascade'))
        .addColumn('employee', 'text')
        .addColumn('step', 'text', (c) => c.notNull().defaultTo('compliant'))
        .addColumn('reason', 'text', (c) => c.notNull().defaultTo('compliant'))
        .addColumn('deadline', 'bigint')
        .addColumn('failing_since', 'bigint')
        .addColumn('warned_at', 'bigint')
        .addColumn('reminded_at', 'bigint')
        .addColumn('reminders', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('blocked_at', 'bigint')
        .addColumn('cleared_at', 'bigint')
        .addColumn('stale_since', 'bigint')
        .addColumn('unknown_since', 'bigint')
        .addColumn('exempt_until', 'bigint')
        .addColumn('next_at', 'bigint')
        .addColumn('changed_at', 'bigint', (c) => c.notNull())
        .addColumn('why', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      // The sweep reads due rows through this index only: no scan of the fleet.
      await db.schema.createIndex('device_ladder_next').on('device_ladder').columns(['next_at']).execute();
      await db.schema.createIndex('device_ladder_employee').on('device_ladder').columns(['employee', 'blocked_at']).execute();
      // Every existing device gets a row that is due at once: the first sweep evaluates it.
      await sql`insert into device_ladder (device_id, next_at, changed_at) select id, 0, 0 from devices`.execute(db);

      await db.schema
        .createTable('employees')
        .addColumn('email', 'text', (c) => c.primaryKey())
        .addColumn('blocked_since', 'bigint')
        .addColumn('changed_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('employee_map')
        .addColumn('os_user', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('imported_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('exemptions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('device_id', 'text', (c) => c.references('devices.id').onDelete('cascade'))
        .addColumn('employee', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('granted_by', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('exemptions_device').on('exemptions').columns(['device_id', 'until']).execute();
      await db.schema.createIndex('exemptions_employee').on('exemptions').columns(['employee', 'until']).execute();

      await db.schema
        .createTable('mail_outbox')
        .addColumn('id', serial, (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('device_id', 'text')
        .addColumn('employee', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('facts', 'text', (c) => c.notNull())
        // pending → sending (leased) → sent | failed | unmapped
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('sent_at', 'bigint')
        .addColumn('message_id', 'text')
        .execute();
      await db.schema.createIndex('mail_outbox_due').on('mail_outbox').columns(['status', 'next_attempt_at']).execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', serial, (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('employee', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('delivered_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_due')
        .on('webhook_deliveries')
        .columns(['status', 'next_attempt_at'])
        .execute();

      await db.schema
        .createTable('escalation_meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<unknown>) {
      for (const t of [
        'escalation_meta',
        'webhook_deliveries',
        'mail_outbox',
        'exemptions',
        'employee_map',
        'employees',
        'device_ladder',
      ]) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  };
}
