import { PostgresAdapter, sql, type Insertable, type Kysely, type Updateable } from 'kysely';
import type { Database, DeviceLadderRow, DeviceLadderTable, MailKind } from '../db/schema.js';
import type { Exemption, LadderRecord } from '../escalation/ladder.js';
import { chunks } from './chunks.js';

/** 5 columns × 100 rows stays far below both dialects' bind-parameter limits. */
const CHUNK = 100;
/** 17 columns × 100 rows = 1,700 bind parameters, far below SQLite's 32,766 and PostgreSQL's 65,535. */
const LADDER_ROWS_PER_STATEMENT = 100;

export interface LadderDeviceRow extends DeviceLadderRow {
  status: 'unknown' | 'compliant' | 'warning' | 'violation';
  last_seen_at: number;
  last_scanned_at: number | null;
  os_user: string;
  hostname: string;
  os: 'windows' | 'macos' | 'linux';
  retired_at: number | null;
}

export function toRecord(r: DeviceLadderRow): LadderRecord {
  return {
    step: r.step,
    reason: r.reason,
    deadline: r.deadline,
    failingSince: r.failing_since,
    warnedAt: r.warned_at,
    remindedAt: r.reminded_at,
    reminders: r.reminders,
    blockedAt: r.blocked_at,
    clearedAt: r.cleared_at,
    staleSince: r.stale_since,
    unknownSince: r.unknown_since,
    exemptUntil: r.exempt_until,
    nextAt: r.next_at,
  };
}

export function toColumns(r: LadderRecord): Updateable<DeviceLadderTable> {
  return {
    step: r.step,
    reason: r.reason,
    deadline: r.deadline,
    failing_since: r.failingSince,
    warned_at: r.warnedAt,
    reminded_at: r.remindedAt,
    reminders: r.reminders,
    blocked_at: r.blockedAt,
    cleared_at: r.clearedAt,
    stale_since: r.staleSince,
    unknown_since: r.unknownSince,
    exempt_until: r.exemptUntil,
    next_at: r.nextAt,
  };
}

export function ladderRepo(db: Kysely<Database>) {
  // Row locks exist on PostgreSQL only; SQLite has one writer anyway.
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    /** A new device starts compliant and is looked at again when it would go stale. */
    async create(deviceId: string, nextAt: number, now: number): Promise<void> {
      await db
        .insertInto('device_ladder')
        .values({ device_id: deviceId, next_at: nextAt, changed_at: now })
        .onConflict((oc) => oc.column('device_id').doNothing())
        .execute();
    },

    /**
     * Ids whose ladder is due, oldest first, through the next_at index. On PostgreSQL the rows are locked and rows
     * another server process holds are skipped: two instances on one database never act on one device twice.
     */
    async due(now: number, limit: number): Promise<string[]> {
      let q = db.selectFrom('device_ladder').select('device_id').where('next_at', '<=', now).orderBy('next_at').limit(limit);
      if (postgres) q = q.forUpdate().skipLocked();
      return (await q.execute()).map((r) => r.device_id);
    },

    /** Device facts joined with their ladder rows; on PostgreSQL locked for this transaction. */
    async load(ids: string[]): Promise<LadderDeviceRow[]> {
      const out: LadderDeviceRow[] = [];
      for (const part of chunks(ids, CHUNK)) {
        let q = db
          .selectFrom('device_ladder as l')
          .innerJoin('devices as d', 'd.id', 'l.device_id')
          .selectAll('l')
          .select(['d.status', 'd.last_seen_at', 'd.last_scanned_at', 'd.os_user', 'd.hostname', 'd.os', 'd.retired_at'])
          .where('l.device_id', 'in', part);
        if (postgres) q = q.forUpdate('l');
        out.push(...((await q.execute()) as LadderDeviceRow[]));
      }
      return out;
    },

    /** The apps currently found per device (rule id and name, by name). */
    async rules(ids: string[]): Promise<Map<string, { ruleId: string; name: string }[]>> {
      const out = new Map<string, { ruleId: string; name: string }[]>();
      for (const part of chunks(ids, CHUNK)) {
        const rows = await db
          .selectFrom('device_apps')
          .select(['device_id', 'rule_id', 'name'])
          .where('device_id', 'in', part)
          .orderBy('name')
          .execute();
        for (const r of rows) {
          const app = { ruleId: r.rule_id, name: r.name };
          const list = out.get(r.device_id);
          if (list) list.push(app);
          else out.set(r.device_id, [app]);
        }
      }
      return out;
    },

    async appNames(deviceId: string): Promise<{ ruleId: string; appId: string; name: string }[]> {
      const rows = await db
        .selectFrom('device_apps')
        .select(['rule_id', 'app_id', 'name'])
        .where('device_id', '=', deviceId)
        .orderBy('name')
        .execute();
      return rows.map((r) => ({ ruleId: r.rule_id, appId: r.app_id, name: r.name }));
    },

    /** Exemptions still running at `now`, keyed by device id and by employee. */
    async exemptions(
      ids: string[],
      employees: string[],
      now: number,
    ): Promise<{ byDevice: Map<string, Exemption[]>; byEmployee: Map<string, Exemption[]> }> {
      const byDevice = new Map<string, Exemption[]>();
      const byEmployee = new Map<string, Exemption[]>();
      const add = (m: Map<string, Exemption[]>, k: string, e: Exemption) => m.set(k, [...(m.get(k) ?? []), e]);
      const run = async (column: 'device_id' | 'employee', keys: string[]) => {
        for (const part of chunks(keys, CHUNK)) {
          const rows = await db
            .selectFrom('exemptions')
            .selectAll()
            .where(column, 'in', part)
            .where('until', '>', now)
            .where('revoked_at', 'is', null)
            .execute();
          for (const r of rows) {
            const e: Exemption = { id: r.id, until: r.until, reason: r.reason, grantedBy: r.granted_by };
            if (r.device_id !== null) add(byDevice, r.device_id, e);
            if (r.employee !== null) add(byEmployee, r.employee, e);
          }
        }
      };
      await run('device_id', ids);
      if (employees.length > 0) await run('employee', employees);
      return { byDevice, byEmployee };
    },

    /**
     * Rewrites whole ladder rows, many per statement (one UPDATE per device cost the sweep ~80 µs a row). An upsert
     * on the primary key is the portable multi-row UPDATE of SQLite and PostgreSQL; the rows were read (and on
     * PostgreSQL locked) by `load` in this transaction, so it only ever takes the update branch.
     */
    async writeRows(rows: Insertable<DeviceLadderTable>[]): Promise<void> {
      for (const part of chunks(rows, LADDER_ROWS_PER_STATEMENT))
        await db
          .insertInto('device_ladder')
          .values(part)
          .onConflict((oc) =>
            oc.column('device_id').doUpdateSet((eb) => ({
              employee: eb.ref('excluded.employee'),
              step: eb.ref('excluded.step'),
              reason: eb.ref('excluded.reason'),
              deadline: eb.ref('excluded.deadline'),
              failing_since: eb.ref('excluded.failing_since'),
              warned_at: eb.ref('excluded.warned_at'),
              reminded_at: eb.ref('excluded.reminded_at'),
              reminders: eb.ref('excluded.reminders'),
              blocked_at: eb.ref('excluded.blocked_at'),
              cleared_at: eb.ref('excluded.cleared_at'),
              stale_since: eb.ref('excluded.stale_since'),
              unknown_since: eb.ref('excluded.unknown_since'),
              exempt_until: eb.ref('excluded.exempt_until'),
              next_at: eb.ref('excluded.next_at'),
              changed_at: eb.ref('excluded.changed_at'),
              why: eb.ref('excluded.why'),
            })),
          )
          .execute();
    },

    /** Makes every row due now (a new policy version can move any device's clock). */
    async makeAllDue(now: number): Promise<number> {
      const r = await db
        .updateTable('device_ladder')
        .set({ next_at: now })
        .where((eb) => eb.or([eb('next_at', 'is', null), eb('next_at', '>', now)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    async makeDue(deviceIds: string[], now: number): Promise<void> {
      for (const part of chunks(deviceIds, CHUNK))
        await db.updateTable('device_ladder').set({ next_at: now }).where('device_id', 'in', part).execute();
    },

    async devicesOfEmployee(employee: string): Promise<string[]> {
      const rows = await db.selectFrom('device_ladder').select('device_id').where('employee', '=', employee).execute();
      return rows.map((r) => r.device_id);
    },

    async employeeOf(deviceId: string): Promise<string | null> {
      const r = await db.selectFrom('device_ladder').select('employee').where('device_id', '=', deviceId).executeTakeFirst();
      return r?.employee ?? null;
    },

    /**
     * Recomputes an employee's decision from their devices' blocks; returns the change, if any. The employee row is
     * written first so that, on PostgreSQL, two transactions deciding for one employee queue behind its row lock.
     */
    async settleEmployee(email: string, now: number): Promise<{ blocked: boolean; since: number } | null> {
      await db
        .insertInto('employees')
        .values({ email, blocked_since: null, changed_at: now })
        .onConflict((oc) => oc.column('email').doUpdateSet({ email }))
        .execute();
      const cur = await db.selectFrom('employees').select('blocked_since').where('email', '=', email).executeTakeFirstOrThrow();
      const block = await db
        .selectFrom('device_ladder')
        .select((eb) => eb.fn.min('blocked_at').as('since'))
        .where('employee', '=', email)
        .where('blocked_at', 'is not', null)
        .executeTakeFirst();
      const since = block?.since === null || block?.since === undefined ? null : Number(block.since);
      if ((since === null) === (cur.blocked_since === null)) return null;
      await db.updateTable('employees').set({ blocked_since: since, changed_at: now }).where('email', '=', email).execute();
      return since === null ? { blocked: false, since: now } : { blocked: true, since };
    },

    async decision(email: string): Promise<{ blockedSince: number | null } | null> {
      const row = await db.selectFrom('employees').select('blocked_since').where('email', '=', email).executeTakeFirst();
      return row ? { blockedSince: row.blocked_since } : null;
    },

    async blocked(): Promise<{ email: string; blockedSince: number }[]> {
      const rows = await db
        .selectFrom('employees')
        .select(['email', 'blocked_since'])
        .where('blocked_since', 'is not', null)
        .orderBy('email')
        .execute();
      return rows.map((r) => ({ email: r.email, blockedSince: r.blocked_since! }));
    },

    /** Many mails in few statements (the sweep queues one per step). */
    async enqueueMails(mails: { deviceId: string; employee: string | null; kind: MailKind; facts: unknown; now: number }[]) {
      for (const part of chunks(mails, CHUNK))
        await db
          .insertInto('mail_outbox')
          .values(
            part.map((m) => ({
              created_at: m.now,
              device_id: m.deviceId,
              employee: m.employee,
              kind: m.kind,
              facts: JSON.stringify(m.facts),
              status: m.employee === null ? ('unmapped' as const) : ('pending' as const),
              next_attempt_at: m.now,
              last_error: m.employee === null ? 'no mail identity for this device’s user' : null,
              sent_at: null,
              message_id: null,
            })),
          )
          .execute();
    },

    async enqueueWebhook(employee: string, body: unknown, now: number) {
      await db
        .insertInto('webhook_deliveries')
        .values({
          created_at: now,
          employee,
          body: JSON.stringify(body),
          status: 'pending',
          next_attempt_at: now,
          last_status: null,
          last_error: null,
          delivered_at: null,
        })
        .execute();
    },

    async meta(key: string): Promise<string | null> {
      const r = await db.selectFrom('escalation_meta').select('value').where('key', '=', key).executeTakeFirst();
      return r?.value ?? null;
    },

    async setMeta(key: string, value: string): Promise<void> {
      await db
        .insertInto('escalation_meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    },

    async loadOverrides(): Promise<Map<string, string>> {
      const rows = await db.selectFrom('employee_map').select(['os_user', 'email']).execute();
      return new Map(rows.map((r) => [r.os_user, r.email]));
    },

    /** Rows for the admin: how many devices per step (uses no index; an admin page, not a hot path). */
    async countBySteps(): Promise<Record<string, number>> {
      const rows = await sql<{ step: string; n: number }>`select step, count(*) as n from device_ladder group by step`.execute(
        db,
      );
      return Object.fromEntries(rows.rows.map((r) => [r.step, Number(r.n)]));
    },
  };
}
export type LadderRepo = ReturnType<typeof ladderRepo>;
