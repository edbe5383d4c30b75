import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, DeviceLadderRow, ExemptionsTable, MailOutboxTable } from '../db/schema.js';
import { chunks } from './chunks.js';

export type ExemptionRow = Selectable<ExemptionsTable>;
export type MailRow = Pick<
  Selectable<MailOutboxTable>,
  'id' | 'kind' | 'status' | 'created_at' | 'sent_at' | 'last_error' | 'device_id'
>;

export interface EmployeeSummaryRow {
  email: string;
  devices: number;
  /** 0 compliant, 1 notice, 2 overdue, 3 blocked: the worst step of the employee's active devices. */
  worst: number;
  blocked_since: number | null;
}

export interface EmployeeDeviceRow extends DeviceLadderRow {
  hostname: string;
  os: 'windows' | 'macos' | 'linux';
  os_user: string;
  status: 'unknown' | 'compliant' | 'warning' | 'violation';
  last_seen_at: number;
  retired_at: number | null;
}

const STEP_RANK = sql<number>`max(case l.step when 'blocked' then 3 when 'overdue' then 2 when 'notice' then 1 else 0 end)`;

/** Employees (from the ladder rows of their devices), the OS-user mapping and exemptions: what the admin API shows. */
export function employeesRepo(db: Kysely<Database>) {
  return {
    /** Employees with at least one active device, by address; keyset after `after`. */
    async list(q: { limit: number; after?: string; prefix?: string; blocked?: boolean }): Promise<EmployeeSummaryRow[]> {
      let query = db
        .selectFrom('device_ladder as l')
        .innerJoin('devices as d', 'd.id', 'l.device_id')
        .leftJoin('employees as e', 'e.email', 'l.employee')
        .select((eb) => ['l.employee as email', eb.fn.countAll<number>().as('devices'), STEP_RANK.as('worst'), 'e.blocked_since'])
        .where('l.employee', 'is not', null)
        .where('d.retired_at', 'is', null);
      if (q.after !== undefined) query = query.where('l.employee', '>', q.after);
      // substr, not LIKE: no wildcard in the admin's text can widen the match, on either dialect.
      if (q.prefix) query = query.where(sql<boolean>`substr(l.employee, 1, ${q.prefix.length}) = ${q.prefix}`);
      if (q.blocked === true) query = query.where('e.blocked_since', 'is not', null);
      if (q.blocked === false) query = query.where('e.blocked_since', 'is', null);
      const rows = await query
        .groupBy(['l.employee', 'e.blocked_since'])
        .orderBy('l.employee')
        .limit(q.limit + 1)
        .execute();
      return rows.map((r) => ({
        email: r.email!,
        devices: Number(r.devices),
        worst: Number(r.worst),
        blocked_since: r.blocked_since ?? null,
      }));
    },

    /** Every device mapped to the employee, retired ones included (the admin sees why they no longer count). */
    async devices(email: string): Promise<EmployeeDeviceRow[]> {
      return (await db
        .selectFrom('device_ladder as l')
        .innerJoin('devices as d', 'd.id', 'l.device_id')
        .selectAll('l')
        .select(['d.hostname', 'd.os', 'd.os_user', 'd.status', 'd.last_seen_at', 'd.retired_at'])
        .where('l.employee', '=', email)
        .orderBy('d.hostname')
        .execute()) as EmployeeDeviceRow[];
    },

    async blockedSince(email: string): Promise<{ blockedSince: number | null } | null> {
      const row = await db.selectFrom('employees').select('blocked_since').where('email', '=', email).executeTakeFirst();
      return row ? { blockedSince: row.blocked_since } : null;
    },

    async recentMails(email: string, limit: number): Promise<MailRow[]> {
      return db
        .selectFrom('mail_outbox')
        .select(['id', 'kind', 'status', 'created_at', 'sent_at', 'last_error', 'device_id'])
        .where('employee', '=', email)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },

    /** OS users of active devices with how many devices and one host name each (the unmapped list is made from these). */
    async osUsers(): Promise<{ os_user: string; devices: number; hostname: string; last_seen_at: number }[]> {
      const rows = await db
        .selectFrom('devices')
        .select((eb) => [
          'os_user',
          eb.fn.countAll<number>().as('devices'),
          eb.fn.min('hostname').as('hostname'),
          eb.fn.max('last_seen_at').as('last_seen_at'),
        ])
        .where('retired_at', 'is', null)
        .groupBy('os_user')
        .orderBy('os_user')
        .execute();
      return rows.map((r) => ({
        os_user: r.os_user,
        devices: Number(r.devices),
        hostname: String(r.hostname),
        last_seen_at: Number(r.last_seen_at),
      }));
    },

    /** Active devices with their OS user (to find whose mail identity an import changes). */
    async activeDeviceUsers(): Promise<{ id: string; os_user: string }[]> {
      return db.selectFrom('devices').select(['id', 'os_user']).where('retired_at', 'is', null).execute();
    },

    // ---- the imported OS user → mail mapping ----

    async mappings(): Promise<{ os_user: string; email: string; imported_at: number }[]> {
      return db.selectFrom('employee_map').selectAll().orderBy('os_user').execute();
    },

    /** Writes the rows (and with `replace`, drops every other mapping); the caller's transaction makes it all or nothing. */
    async importMappings(rows: { osUser: string; email: string }[], replace: boolean, now: number): Promise<void> {
      if (replace) await db.deleteFrom('employee_map').execute();
      for (const part of chunks(rows, 100))
        await db
          .insertInto('employee_map')
          .values(part.map((r) => ({ os_user: r.osUser, email: r.email, imported_at: now })))
          .onConflict((oc) =>
            oc
              .column('os_user')
              .doUpdateSet((eb) => ({ email: eb.ref('excluded.email'), imported_at: eb.ref('excluded.imported_at') })),
          )
          .execute();
    },

    // ---- exemptions ----

    async createExemption(e: Omit<ExemptionRow, 'id' | 'revoked_at'>): Promise<ExemptionRow> {
      const row: ExemptionRow = { id: randomUUID(), revoked_at: null, ...e };
      await db.insertInto('exemptions').values(row).execute();
      return row;
    },

    async exemption(id: string): Promise<ExemptionRow | undefined> {
      return db.selectFrom('exemptions').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Newest first; `activeAt` keeps only those running then (not revoked, not expired). */
    async exemptions(q: { activeAt?: number; deviceId?: string; employee?: string; limit: number }): Promise<ExemptionRow[]> {
      let query = db.selectFrom('exemptions').selectAll();
      if (q.activeAt !== undefined) query = query.where('until', '>', q.activeAt).where('revoked_at', 'is', null);
      if (q.deviceId !== undefined) query = query.where('device_id', '=', q.deviceId);
      if (q.employee !== undefined) query = query.where('employee', '=', q.employee);
      return query.orderBy('granted_at', 'desc').orderBy('id').limit(q.limit).execute();
    },

    /** Exemptions of the employee or of any of the given devices (the employee's detail page). */
    async exemptionsOf(email: string, deviceIds: string[]): Promise<ExemptionRow[]> {
      const out = await db.selectFrom('exemptions').selectAll().where('employee', '=', email).execute();
      for (const part of chunks(deviceIds, 100))
        out.push(...(await db.selectFrom('exemptions').selectAll().where('device_id', 'in', part).execute()));
      return out.sort((a, b) => b.granted_at - a.granted_at);
    },

    async revokeExemption(id: string, now: number): Promise<boolean> {
      const r = await db
        .updateTable('exemptions')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
export type EmployeesRepo = ReturnType<typeof employeesRepo>;
