import { PostgresAdapter, sql, type Insertable, type Kysely } from 'kysely';
import type { Database, DeviceLadderRow, DeviceLadderTable, MailKind, MailOutboxTable } from '../db/schema.js';
import type { Exemption, LadderRecord } from '../escalation/ladder.js';
import { chunks } from './chunks.js';
import { compiledRows } from './compiled-rows.js';

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

export function toColumns(r: LadderRecord): Omit<LadderWrite, 'device_id' | 'employee' | 'changed_at' | 'why'> {
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

/** A whole ladder row as the sweep writes it: every column given. */
export type LadderWrite = { [K in keyof Insertable<DeviceLadderTable>]-?: Exclude<Insertable<DeviceLadderTable>[K], undefined> };

const LADDER_COLUMNS = [
  'device_id',
  'employee',
  'step',
  'reason',
  'deadline',
  'failing_since',
  'warned_at',
  'reminded_at',
  'reminders',
  'blocked_at',
  'cleared_at',
  'stale_since',
  'unknown_since',
  'exempt_until',
  'next_at',
  'changed_at',
  'why',
] as const satisfies readonly (keyof DeviceLadderTable)[];

export const ladderUpsert = compiledRows<LadderWrite>({
  columns: LADDER_COLUMNS,
  perStatement: LADDER_ROWS_PER_STATEMENT,
  build: (db, rows) =>
    db
      .insertInto('device_ladder')
      .values(rows)
      .onConflict((oc) =>
        oc
          .column('device_id')
          .doUpdateSet((eb) =>
            Object.fromEntries(LADDER_COLUMNS.filter((c) => c !== 'device_id').map((c) => [c, eb.ref(`excluded.${c}`)])),
          ),
      ),
});

type MailRow = Omit<Insertable<MailOutboxTable>, 'id' | 'attempts'>;

export const mailInsert = compiledRows<MailRow>({
  columns: [
    'created_at',
    'device_id',
    'employee',
    'kind',
    'facts',
    'status',
    'next_attempt_at',
    'last_error',
    'sent_at',
    'message_id',
  ],
  perStatement: CHUNK,
  build: (db, rows) => db.insertInto('mail_outbox').values(rows),
});

/** Ids per `in (…)` read: one statement per sweep batch, far below both dialects' bind-parameter limits. */
const IDS_PER_QUERY = 500;

/** A ladder row with the device facts the ladder needs. */
const withDevice = (db: Kysely<Database>) =>
  db
    .selectFrom('device_ladder as l')
    .innerJoin('devices as d', 'd.id', 'l.device_id')
    .selectAll('l')
    .select(['d.status', 'd.last_seen_at', 'd.last_scanned_at', 'd.os_user', 'd.hostname', 'd.os', 'd.retired_at']);

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
      for (const part of chunks(ids, IDS_PER_QUERY)) {
        let q = withDevice(db).where('l.device_id', 'in', part);
        if (postgres) q = q.forUpdate('l');
        out.push(...((await q.execute()) as LadderDeviceRow[]));
      }
      return out;
    },

    /**
     * The due rows themselves, oldest first, through the next_at index, with their devices: the sweep's one read per
     * batch (`due` and then `load` by id read the index and every row twice). On PostgreSQL locked, skipping rows
     * another server process holds.
     */
    async loadDue(now: number, limit: number): Promise<LadderDeviceRow[]> {
      let q = withDevice(db).where('l.next_at', '<=', now).orderBy('l.next_at').limit(limit);
      if (postgres) q = q.forUpdate('l').skipLocked();
      return (await q.execute()) as LadderDeviceRow[];
    },

    /** The apps currently found per device (rule id and name, by name). */
    async rules(ids: string[]): Promise<Map<string, { ruleId: string; name: string }[]>> {
      const out = new Map<string, { ruleId: string; name: string }[]>();
      for (const part of chunks(ids, IDS_PER_QUERY)) {
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
        for (const part of chunks(keys, IDS_PER_QUERY)) {
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
    async writeRows(rows: LadderWrite[]): Promise<void> {
      await ladderUpsert.run(db, rows);
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
      await mailInsert.run(
        db,
        mails.map((m) => ({
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
      );
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
