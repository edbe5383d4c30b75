import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { HostFacts } from '../../protocol/enrollment.js';
import type { Finding } from '../../protocol/report.js';
import type { Database, DeviceAppsTable, DeviceRow, DeviceStatus } from '../db/schema.js';

export type Evidence = Finding['evidence'];

/** device_apps.evidence holds the sorted evidence kinds comma-joined; only the repositories see that form. */
export function encodeEvidence(evidence: Evidence): string {
  return [...evidence].sort().join(',');
}
function decodeEvidence(column: string): Evidence {
  return column.split(',') as Evidence;
}

/** A device_apps row as the repositories hand it out: evidence decoded. */
export type DeviceAppRow = Omit<DeviceAppsTable, 'evidence'> & { evidence: Evidence };

export const DEVICE_SORTS = ['lastSeen', 'hostname', 'enrolledAt', 'status'] as const;
export type DeviceSort = (typeof DEVICE_SORTS)[number];
const SORT_COLUMN = { lastSeen: 'last_seen_at', hostname: 'hostname', enrolledAt: 'enrolled_at', status: 'status' } as const;

/**
 * Where a device stands for the dashboard, one word per device, from its ladder row and its last status. The order
 * is the precedence: a retired device is only retired, an exempt one only exempt, a blocked one is not also overdue.
 * `violation`: a banned app (or staleness/unknown that counts) before the deadline; `warning`: warn-only apps.
 */
export const DEVICE_STATES = [
  'compliant',
  'violation',
  'overdue',
  'blocked',
  'stale',
  'exempt',
  'never',
  'warning',
  'unknown',
  'retired',
] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** The CASE that computes DeviceState over `devices` left-joined with `device_ladder as l`. */
export const stateExpression: RawBuilder<DeviceState> = sql<DeviceState>`case
  when devices.retired_at is not null then 'retired'
  when devices.last_scanned_at is null then 'never'
  when l.reason = 'exempt' then 'exempt'
  when l.step = 'blocked' then 'blocked'
  when l.step = 'overdue' then 'overdue'
  when l.reason = 'stale' then 'stale'
  when l.step = 'notice' or devices.status = 'violation' then 'violation'
  when devices.status = 'warning' then 'warning'
  when devices.status = 'unknown' then 'unknown'
  else 'compliant' end`;

/** The statuses a device in this state must have (never reported: still `unknown`); absent where the ladder decides. */
const STATUS_OF_STATE: Partial<Record<DeviceState, DeviceStatus[]>> = {
  compliant: ['compliant'],
  warning: ['warning'],
  unknown: ['unknown'],
  never: ['unknown'],
};

/** An app found on at most this many devices is listed from its device_apps rows; see list(). */
export const SELECTIVE_APP_ROWS = 1000;

export interface DeviceFilter {
  status?: DeviceStatus[];
  os?: DeviceRow['os'][];
  lastSeenBefore?: number;
  lastSeenAfter?: number;
  /** Catalog app id (or custom rule's app id) currently found on the device. */
  app?: string;
  hostnamePrefix?: string;
  /** Hostname or OS user starting with this. */
  search?: string;
  state?: DeviceState[];
  policyVersion?: number;
}

export type DeviceListRow = DeviceRow & { state: DeviceState; ladder_deadline: number | null };

/** Where the previous page ended: the sort value and the id tie-breaker of its last row. */
export type DeviceKey = [value: string | number, id: string];

export interface DeviceListQuery extends DeviceFilter {
  sort: DeviceSort;
  order: 'asc' | 'desc';
  limit: number;
  after?: DeviceKey;
}

const hostColumns = (host: HostFacts, now: number) => ({
  hostname: host.hostname,
  os: host.os,
  os_version: host.osVersion,
  os_user: host.osUser,
  agent_version: host.agentVersion,
  last_seen_at: now,
});

export function devicesRepo(db: Kysely<Database>) {
  return {
    /**
     * One device per machine: inserts a device for a machine id not seen before, or names the device that already has
     * it and changes nothing (taking a known machine over needs proof; see services/enrollment.ts). One statement, so
     * two racing first enrollments cannot make a twin.
     */
    async enroll(host: HostFacts, tokenHash: string, now: number): Promise<{ id: string; reenrolled: boolean }> {
      const proposed = randomUUID();
      const row = await db
        .insertInto('devices')
        .values({ id: proposed, machine_id: host.machineId, enrolled_at: now, token_hash: tokenHash, ...hostColumns(host, now) })
        .onConflict((oc) => oc.column('machine_id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (row) return { id: row.id, reenrolled: false };
      const known = await db
        .selectFrom('devices')
        .select('id')
        .where('machine_id', '=', host.machineId)
        .executeTakeFirstOrThrow();
      return { id: known.id, reenrolled: true };
    },

    /** Hands the device a new token (the old one stops working) and refreshes its host facts; the machine id stays. */
    async replaceToken(id: string, host: HostFacts, tokenHash: string, now: number): Promise<void> {
      await db
        .updateTable('devices')
        .set({ token_hash: tokenHash, ...hostColumns(host, now) })
        .where('id', '=', id)
        .execute();
    },

    async findIdByTokenHash(tokenHash: string): Promise<string | undefined> {
      const row = await db.selectFrom('devices').select('id').where('token_hash', '=', tokenHash).executeTakeFirst();
      return row?.id;
    },

    async get(id: string): Promise<DeviceRow | undefined> {
      return db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async count(): Promise<number> {
      const row = await db
        .selectFrom('devices')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Which agent versions the fleet runs, per OS (retired devices left out): the admin's update overview. */
    async versionCounts(): Promise<{ agentVersion: string; os: string; devices: number }[]> {
      const rows = await db
        .selectFrom('devices')
        .where('retired_at', 'is', null)
        .select(['agent_version', 'os', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['agent_version', 'os'])
        .orderBy('os')
        .orderBy('agent_version')
        .execute();
      return rows.map((r) => ({ agentVersion: r.agent_version, os: r.os, devices: Number(r.n) }));
    },

    async countByStatus(): Promise<Record<string, number>> {
      const rows = await db
        .selectFrom('devices')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },

    /**
     * Keyset pagination: `(sortColumn, id) > (lastValue, lastId)` is a range scan on an index that ends in id,
     * so page 500 costs what page 1 costs. Returns `limit + 1` rows at most; the caller knows there is a next page.
     */
    async list(q: DeviceListQuery): Promise<DeviceListRow[]> {
      const col = SORT_COLUMN[q.sort];
      let query = db
        .selectFrom('devices')
        .leftJoin('device_ladder as l', 'l.device_id', 'devices.id')
        .selectAll('devices')
        .select([stateExpression.as('state'), 'l.deadline as ladder_deadline']);
      if (q.state?.length) {
        query = query.where(stateExpression, 'in', q.state);
        // States that follow from the status alone also get a plain status condition: the planner then walks the
        // (status, last_seen_at, id) index instead of computing the CASE for every device (state=never: 8 s → ms).
        const statuses = q.state.map((s) => STATUS_OF_STATE[s]);
        if (statuses.every((x) => x !== undefined)) query = query.where('devices.status', 'in', [...new Set(statuses.flat())]);
      }
      if (q.policyVersion !== undefined) query = query.where('policy_version', '=', q.policyVersion);
      if (q.search) {
        const hi = `${q.search}\u{10FFFF}`;
        query = query.where((eb) =>
          eb.or([
            eb.and([eb('hostname', '>=', q.search!), eb('hostname', '<', hi)]),
            eb.and([eb('os_user', '>=', q.search!), eb('os_user', '<', hi)]),
          ]),
        );
      }
      if (q.status?.length) query = query.where('status', 'in', q.status);
      if (q.os?.length) query = query.where('os', 'in', q.os);
      if (q.lastSeenBefore !== undefined) query = query.where('last_seen_at', '<', q.lastSeenBefore);
      if (q.lastSeenAfter !== undefined) query = query.where('last_seen_at', '>=', q.lastSeenAfter);
      if (q.hostnamePrefix) {
        // Range instead of LIKE: no wildcard escaping, and it uses the hostname index on both dialects.
        query = query.where('hostname', '>=', q.hostnamePrefix).where('hostname', '<', `${q.hostnamePrefix}\u{10FFFF}`);
      }
      if (q.app !== undefined) {
        const app = q.app;
        // Which way round is cheap depends on how many devices have the app, and neither planner knows per value:
        // a rare app (or one nobody has any more, the usual question once a ban works) is found from its few
        // device_apps rows, which are then sorted; a common one by walking the sort index and probing device_apps.
        // Walking for an app nobody has probes every device (31 ms at 100,000 on SQLite); sorting WhatsApp's 5,000 rows
        // costs 20 ms. The count is an index-only range scan on device_apps_app.
        const { n } = await db
          .selectFrom('device_apps')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('app_id', '=', app)
          .executeTakeFirstOrThrow();
        if (Number(n) <= SELECTIVE_APP_ROWS) {
          query = query.where('devices.id', 'in', (eb) =>
            eb.selectFrom('device_apps').select('device_apps.device_id').where('device_apps.app_id', '=', app),
          );
        } else {
          query = query.where(({ exists, selectFrom }) =>
            exists(
              selectFrom('device_apps')
                .select('device_apps.device_id')
                .whereRef('device_apps.device_id', '=', 'devices.id')
                .where('device_apps.app_id', '=', app),
            ),
          );
        }
      }
      if (q.after) {
        const [value, id] = q.after;
        query = query.where(({ eb, refTuple, tuple }) =>
          eb(refTuple(`devices.${col}`, 'devices.id'), q.order === 'asc' ? '>' : '<', tuple(value as never, id)),
        );
      }
      return query
        .orderBy(`devices.${col}`, q.order)
        .orderBy('devices.id', q.order)
        .limit(q.limit + 1)
        .execute();
    },

    async appsOf(deviceIds: string[]): Promise<DeviceAppRow[]> {
      if (deviceIds.length === 0) return [];
      const rows = await db
        .selectFrom('device_apps')
        .selectAll()
        .where('device_id', 'in', deviceIds)
        .orderBy('rule_id')
        .execute();
      return rows.map((r) => ({ ...r, evidence: decodeEvidence(r.evidence) }));
    },

    /**
     * Retires a device: its token stops working (the hash is replaced by one no token hashes to), `retired_at` is set,
     * history stays. Returns false when there is no such device or it is retired already.
     */
    async retire(id: string, now: number): Promise<boolean> {
      const r = await db
        .updateTable('devices')
        .set({ retired_at: now, token_hash: `retired:${id}` })
        .where('id', '=', id)
        .where('retired_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    /** Deletes a device with its apps and report history (foreign keys cascade). Returns false when there is none. */
    async delete(id: string): Promise<boolean> {
      const r = await db.deleteFrom('devices').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    /** One device with its dashboard state. */
    async getWithState(id: string): Promise<DeviceListRow | undefined> {
      return db
        .selectFrom('devices')
        .leftJoin('device_ladder as l', 'l.device_id', 'devices.id')
        .selectAll('devices')
        .select([stateExpression.as('state'), 'l.deadline as ladder_deadline'])
        .where('devices.id', '=', id)
        .executeTakeFirst();
    },

    sortValue(row: DeviceRow, sort: DeviceSort): string | number {
      return row[SORT_COLUMN[sort]];
    },
  };
}
export type DevicesRepo = ReturnType<typeof devicesRepo>;
