import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { DEVICE_STATES, stateExpression, type DeviceState } from './devices.js';

export type StateCounts = Record<DeviceState, number>;

/** What the overview reads: counts per state, the most found apps, the devices that went quiet, the daily history. */
export function dashboardRepo(db: Kysely<Database>) {
  return {
    /** Devices per dashboard state: one grouped pass over devices ⋈ device_ladder. */
    async stateCounts(): Promise<StateCounts> {
      const rows = await db
        .selectFrom('devices')
        .leftJoin('device_ladder as l', 'l.device_id', 'devices.id')
        .select([stateExpression.as('state'), (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(stateExpression)
        .execute();
      const counts = Object.fromEntries(DEVICE_STATES.map((s) => [s, 0])) as StateCounts;
      for (const r of rows) counts[r.state] = Number(r.n);
      return counts;
    },

    /** The apps found on the most active devices (device_apps_app index), with one display name each. */
    async topApps(limit: number): Promise<{ appId: string; name: string; devices: number }[]> {
      const rows = await db
        .selectFrom('device_apps')
        .innerJoin('devices', 'devices.id', 'device_apps.device_id')
        .select([
          'device_apps.app_id',
          (eb) => eb.fn.max('device_apps.name').as('name'),
          (eb) => eb.fn.countAll<number>().as('n'),
        ])
        .where('devices.retired_at', 'is', null)
        .groupBy('device_apps.app_id')
        .orderBy('n', 'desc')
        .orderBy('device_apps.app_id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ appId: r.app_id, name: String(r.name), devices: Number(r.n) }));
    },

    /** Active devices silent since before `before`, longest silent first (devices_last_seen index). */
    async silentSince(before: number, limit: number) {
      return db
        .selectFrom('devices')
        .select(['id', 'hostname', 'os', 'os_user', 'last_seen_at'])
        .where('last_seen_at', '<', before)
        .where('retired_at', 'is', null)
        .orderBy('last_seen_at')
        .orderBy('id')
        .limit(limit)
        .execute();
    },

    /** Active devices, and how many of them currently have any of `appIds` (what a policy change touches). */
    async impact(appIds: string[]): Promise<{ active: number; affected: number }> {
      const active = await db
        .selectFrom('devices')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('retired_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (appIds.length === 0) return { active: Number(active.n), affected: 0 };
      const affected = await db
        .selectFrom('device_apps')
        .innerJoin('devices', 'devices.id', 'device_apps.device_id')
        .select((eb) => eb.fn.count<number>('device_apps.device_id').distinct().as('n'))
        .where('device_apps.app_id', 'in', appIds)
        .where('devices.retired_at', 'is', null)
        .executeTakeFirstOrThrow();
      return { active: Number(active.n), affected: Number(affected.n) };
    },

    /** The newest webhook deliveries, for the settings page's delivery log. */
    async webhookLog(limit: number) {
      return db
        .selectFrom('webhook_deliveries')
        .select(['id', 'created_at', 'employee', 'status', 'attempts', 'last_status', 'last_error', 'delivered_at'])
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },

    /** Writes (or overwrites) the day's snapshot. */
    async putDaily(day: string, counts: StateCounts, now: number): Promise<void> {
      const json = JSON.stringify(counts);
      await db
        .insertInto('compliance_daily')
        .values({ day, taken_at: now, counts: json })
        .onConflict((oc) => oc.column('day').doUpdateSet({ taken_at: now, counts: json }))
        .execute();
    },

    /** Snapshots from `fromDay` on (inclusive), oldest first. */
    async daily(fromDay: string): Promise<{ day: string; takenAt: number; counts: Partial<StateCounts> }[]> {
      const rows = await db.selectFrom('compliance_daily').selectAll().where('day', '>=', fromDay).orderBy('day').execute();
      return rows.map((r) => ({ day: r.day, takenAt: Number(r.taken_at), counts: JSON.parse(r.counts) as Partial<StateCounts> }));
    },
  };
}
