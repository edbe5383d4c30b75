import type { Insertable, Kysely, Updateable } from 'kysely';
import { classifyReport } from '../../protocol/coverage.js';
import type { OsName } from '../../protocol/common.js';
import type { HistoryBound } from '../config.js';
import type { Report } from '../../protocol/report.js';
import { encodeEvidence } from './devices.js';
import type { Database, DeviceAppsTable, DeviceRow, DevicesTable, DeviceStatus, ReportRow } from '../db/schema.js';
import { chunks } from './chunks.js';

export interface BatchItem {
  deviceId: string;
  report: Report;
  /** The report as stored in history (JSON). */
  body: string;
  receivedAt: number;
  /** The scan time the server uses (see clampScannedAt); the report's own when absent. */
  scannedAt?: number;
}

/** How far a device clock may run ahead of the server's before its scan times are cut back (issue 14, finding 1). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The scan time the server records: the device's, but never more than MAX_CLOCK_SKEW_MS after the report arrived. A
 * report from a clock far ahead is still stored (its body keeps the device's own time), it just cannot claim to be
 * from tomorrow: first-seen and failing-since times stay plausible and history sorts where the report belongs.
 */
export function clampScannedAt(report: Report, receivedAt: number): number {
  return Math.min(Date.parse(report.scannedAt), receivedAt + MAX_CLOCK_SKEW_MS);
}

/** 9 columns × 100 rows stays far below both dialects' bind-parameter limits. */
const INSERT_CHUNK = 100;

interface FoldRow {
  id: string;
  os: OsName;
  status: DeviceStatus;
  failing_since: number | null;
  last_scanned_at: number | null;
  findings_key: string;
  last_seen_at: number;
  originalKey: string;
  originalStatus: DeviceStatus;
  changed: Updateable<DevicesTable>;
  pendingApps?: { report: Report; scannedAt: number };
  /** Rule → scan time it (last) appeared within this batch. */
  batchFirstSeen?: Map<string, number>;
  /** Rules present in every report folded so far in this batch: only these may keep a first-seen time from before. */
  continuous?: Set<string>;
  /** Reports of this device stored by this batch, and their body bytes: added to the device's history totals. */
  added: { count: number; bytes: number };
}

export interface IngestOptions {
  /** Trim each device's history to this after storing (oldest by arrival first; the device's newest report stays). */
  bound?: HistoryBound;
  /** How many old reports the bound removed in this batch. */
  onTrimmed?: (n: number) => void;
}

export type IngestOutcome = { kind: 'stored' } | { kind: 'duplicate' } | { kind: 'foreign' };

const isFailing = (s: DeviceStatus) => s === 'warning' || s === 'violation';

/** Identifies the current findings: equal keys mean device_apps need no rewrite (the common heartbeat). */
export function findingsKey(report: Report): string {
  return report.findings
    .map((f) => `${f.ruleId}|${f.appId}|${f.action}|${encodeEvidence(f.evidence)}`)
    .sort()
    .join(';');
}

/**
 * The device's next current state after `report`. Pure. Reports fold in the order the server received them, whatever
 * their scan times say: the agent delivers its queue oldest first, so arrival order is scan order, and a clock that
 * stepped back (or a forged scan time) can neither freeze the state nor make a later report lose.
 */
export function foldState(
  device: Pick<DeviceRow, 'status' | 'failing_since' | 'last_scanned_at'>,
  report: Report,
  scannedAt: number,
): Pick<
  DeviceRow,
  'status' | 'failing_since' | 'deadline' | 'past_deadline' | 'policy_version' | 'agent_version' | 'last_scanned_at'
> {
  const status = report.state.status;
  let failingSince: number | null = null;
  if (isFailing(status))
    failingSince = isFailing(device.status) && device.failing_since !== null ? device.failing_since : scannedAt;
  return {
    status,
    failing_since: failingSince,
    deadline: report.state.deadline ? Date.parse(report.state.deadline) : null,
    past_deadline: report.state.pastDeadline ? 1 : 0,
    policy_version: report.policyVersion,
    agent_version: report.agentVersion,
    last_scanned_at: scannedAt,
  };
}

export function reportsRepo(db: Kysely<Database>) {
  return {
    /** One report; see ingestBatch(). */
    async ingest(deviceId: string, report: Report, body: string, now: number): Promise<IngestOutcome> {
      const [outcome] = await this.ingestBatch([{ deviceId, report, body, receivedAt: now }]);
      return outcome!;
    },

    /**
     * Stores reports and folds them into their devices' current state. Call inside a transaction: history rows,
     * device rows and device app rows change together or not at all. Set-based so a batch of N reports costs
     * a handful of statements plus one UPDATE per device, not five round trips per report (PostgreSQL pays per trip).
     * Outcomes are in input order; reports of one device fold in input order.
     */
    async ingestBatch(received: BatchItem[], opts: IngestOptions = {}): Promise<IngestOutcome[]> {
      const outcomes: (IngestOutcome | undefined)[] = new Array(received.length);
      // The devices of the batch, read once: their OS decides how each report is classified, their state is folded below.
      const states = new Map<string, FoldRow>();
      for (const part of chunks([...new Set(received.map((it) => it.deviceId))], INSERT_CHUNK)) {
        const rows = await db
          .selectFrom('devices')
          .select(['id', 'os', 'status', 'failing_since', 'last_scanned_at', 'findings_key', 'last_seen_at'])
          .where('id', 'in', part)
          .execute();
        for (const r of rows)
          states.set(r.id, {
            ...r,
            changed: {},
            originalKey: r.findings_key,
            originalStatus: r.status,
            added: { count: 0, bytes: 0 },
          });
      }
      // The server does not take the agent's word (protocol/coverage.ts): a report whose essential sources failed, are
      // missing, or that lists none is stored and folded as unknown. The history body keeps what the agent claimed.
      const items = received.map((it) => {
        const os = states.get(it.deviceId)?.os;
        return os === undefined ? it : { ...it, report: classifyReport(it.report, os) };
      });
      // The first occurrence of an id in the batch competes for it; later ones are settled against it below.
      const firstIndex = new Map<string, number>();
      items.forEach((it, i) => {
        if (!firstIndex.has(it.report.reportId)) firstIndex.set(it.report.reportId, i);
      });
      const candidates = [...firstIndex.values()].map((i) => items[i]!);
      const inserted = new Set<string>();
      for (const part of chunks(candidates, INSERT_CHUNK)) {
        const rows = await db
          .insertInto('reports')
          .values(
            part.map((it) => ({
              id: it.report.reportId,
              device_id: it.deviceId,
              received_at: it.receivedAt,
              scanned_at: it.scannedAt ?? Date.parse(it.report.scannedAt),
              kind: it.report.kind,
              status: it.report.state.status,
              policy_version: it.report.policyVersion,
              agent_version: it.report.agentVersion,
              body: it.body,
              body_bytes: Buffer.byteLength(it.body),
            })),
          )
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .execute();
        for (const r of rows) inserted.add(r.id);
      }

      // Who owns the ids that were not new?
      const settledElsewhere = items.filter(
        (it, i) => !(inserted.has(it.report.reportId) && firstIndex.get(it.report.reportId) === i),
      );
      const owners = new Map<string, string>();
      const unknownOwner = [...new Set(settledElsewhere.map((it) => it.report.reportId))].filter((id) => !inserted.has(id));
      for (const part of chunks(unknownOwner, INSERT_CHUNK)) {
        const rows = await db.selectFrom('reports').select(['id', 'device_id']).where('id', 'in', part).execute();
        for (const r of rows) owners.set(r.id, r.device_id);
      }
      for (const id of inserted) owners.set(id, items[firstIndex.get(id)!]!.deviceId);

      const stored = items.map((it, i) => inserted.has(it.report.reportId) && firstIndex.get(it.report.reportId) === i);
      items.forEach((it, i) => {
        if (!stored[i])
          outcomes[i] = owners.get(it.report.reportId) === it.deviceId ? { kind: 'duplicate' } : { kind: 'foreign' };
      });

      // Fold, in memory, per device.
      if (!stored.some(Boolean)) return outcomes as IngestOutcome[];
      items.forEach((it, i) => {
        if (!stored[i]) return;
        const st = states.get(it.deviceId);
        if (!st) throw new Error(`device ${it.deviceId} vanished during ingest`);
        const scannedAt = it.scannedAt ?? Date.parse(it.report.scannedAt);
        st.last_seen_at = Math.max(st.last_seen_at, it.receivedAt);
        st.changed.last_seen_at = st.last_seen_at;
        const next = foldState(st as unknown as DeviceRow, it.report, scannedAt);
        Object.assign(st, next);
        const key = findingsKey(it.report);
        Object.assign(st.changed, next, { last_report_id: it.report.reportId, findings_key: key });
        st.findings_key = key;
        st.pendingApps = { report: it.report, scannedAt };
        const rules = new Set(it.report.findings.map((f) => f.ruleId));
        const firstSeen = new Map<string, number>();
        for (const r of rules) firstSeen.set(r, st.batchFirstSeen?.get(r) ?? scannedAt);
        st.batchFirstSeen = firstSeen;
        st.continuous = st.continuous ? new Set([...st.continuous].filter((r) => rules.has(r))) : rules;
        st.added.count++;
        st.added.bytes += Buffer.byteLength(it.body);
        outcomes[i] = { kind: 'stored' };
      });

      // device_apps: rewrite only devices whose set of findings changed, keeping first-seen times of apps that stay.
      const appChanges = [...states.values()].filter((st) => st.pendingApps && st.findings_key !== st.originalKey);
      if (appChanges.length > 0) {
        const firstSeen = new Map<string, number>();
        for (const part of chunks(
          appChanges.map((st) => st.id),
          INSERT_CHUNK,
        )) {
          const rows = await db
            .selectFrom('device_apps')
            .select(['device_id', 'rule_id', 'first_seen_at'])
            .where('device_id', 'in', part)
            .execute();
          for (const r of rows) firstSeen.set(`${r.device_id}|${r.rule_id}`, r.first_seen_at);
          await db.deleteFrom('device_apps').where('device_id', 'in', part).execute();
        }
        const rows = appChanges.flatMap((st) =>
          appRows(st.id, st.pendingApps!.report, (rule) =>
            st.continuous!.has(rule)
              ? (firstSeen.get(`${st.id}|${rule}`) ?? st.batchFirstSeen!.get(rule)!)
              : st.batchFirstSeen!.get(rule)!,
          ),
        );
        for (const part of chunks(rows, INSERT_CHUNK)) await db.insertInto('device_apps').values(part).execute();
      }
      for (const st of states.values()) {
        if (Object.keys(st.changed).length === 0) continue; // only duplicates of this device in the batch
        // SQLite rewrites the entries of every index on a column named in SET, even when the value stays the same, and
        // (status, id) is touched by nothing else a report changes. A heartbeat rarely changes the status: leaving it
        // out saves ~11% of the WAL pages a report batch writes (bench:server, 2,000-10,000 devices).
        if (st.changed.status === st.originalStatus) delete st.changed.status;
        // Relative, so a retention prune committing meanwhile (another instance) is not overwritten.
        const totals = await db
          .updateTable('devices')
          .set((eb) => ({
            ...st.changed,
            history_count: eb('history_count', '+', st.added.count),
            history_bytes: eb('history_bytes', '+', st.added.bytes),
          }))
          .where('id', '=', st.id)
          .returning(['history_count', 'history_bytes'])
          .executeTakeFirstOrThrow();
        const bound = opts.bound;
        if (bound && (totals.history_count > bound.maxReports || Number(totals.history_bytes) > bound.maxBytes)) {
          const trimmed = await this.trimHistory(st.id, st.changed.last_report_id!, bound, {
            count: totals.history_count,
            bytes: Number(totals.history_bytes),
          });
          opts.onTrimmed?.(trimmed);
        }
      }
      return outcomes as IngestOutcome[];
    },

    /**
     * Deletes a device's oldest reports (by arrival) until its history fits `bound` (issue 14, finding 3: one token
     * posting 430 KB reports in a loop filled the disk). `keepId`, the report the current state was folded from, is never
     * deleted. Call inside the transaction that stored the reports.
     */
    async trimHistory(
      deviceId: string,
      keepId: string,
      bound: HistoryBound,
      totals: { count: number; bytes: number },
    ): Promise<number> {
      let excessCount = totals.count - bound.maxReports;
      let excessBytes = totals.bytes - bound.maxBytes;
      const victims: string[] = [];
      let victimBytes = 0;
      let after: [number, string] | undefined;
      while (excessCount > 0 || excessBytes > 0) {
        let q = db
          .selectFrom('reports')
          .select(['id', 'received_at', 'body_bytes'])
          .where('device_id', '=', deviceId)
          .where('id', '!=', keepId);
        if (after) {
          const [at, id] = after;
          q = q.where(({ eb, refTuple, tuple }) => eb(refTuple('received_at', 'id'), '>', tuple(at, id)));
        }
        const rows = await q.orderBy('received_at').orderBy('id').limit(500).execute();
        if (rows.length === 0) break;
        for (const r of rows) {
          if (excessCount <= 0 && excessBytes <= 0) break;
          victims.push(r.id);
          victimBytes += r.body_bytes;
          excessCount--;
          excessBytes -= r.body_bytes;
        }
        const last = rows[rows.length - 1]!;
        after = [last.received_at, last.id];
      }
      if (victims.length === 0) return 0;
      for (const part of chunks(victims, INSERT_CHUNK)) await db.deleteFrom('reports').where('id', 'in', part).execute();
      await db
        .updateTable('devices')
        .set((eb) => ({
          history_count: eb('history_count', '-', victims.length),
          history_bytes: eb('history_bytes', '-', victimBytes),
        }))
        .where('id', '=', deviceId)
        .execute();
      return victims.length;
    },

    async history(deviceId: string, limit: number, before?: [scannedAt: number, id: string]): Promise<ReportRow[]> {
      let q = db.selectFrom('reports').selectAll().where('device_id', '=', deviceId);
      if (before) q = q.where(({ eb, refTuple, tuple }) => eb(refTuple('scanned_at', 'id'), '<', tuple(before[0], before[1])));
      return q
        .orderBy('scanned_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
    },

    async get(id: string): Promise<ReportRow | undefined> {
      return db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async count(): Promise<number> {
      const row = await db
        .selectFrom('reports')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * Deletes reports received before `cutoff`, in slices so a big prune never holds the write lock for long; each slice
     * takes its reports off their devices' history totals in the same transaction.
     */
    async pruneReceivedBefore(cutoff: number, slice = 5000): Promise<number> {
      const pruneSlice = async (trx: Kysely<Database>): Promise<number> => {
        const rows = await trx
          .selectFrom('reports')
          .select(['id', 'device_id', 'body_bytes'])
          .where('received_at', '<', cutoff)
          .limit(slice)
          .execute();
        for (const part of chunks(rows, INSERT_CHUNK))
          await trx
            .deleteFrom('reports')
            .where(
              'id',
              'in',
              part.map((r) => r.id),
            )
            .execute();
        const perDevice = new Map<string, { count: number; bytes: number }>();
        for (const r of rows) {
          const t = perDevice.get(r.device_id) ?? { count: 0, bytes: 0 };
          t.count++;
          t.bytes += r.body_bytes;
          perDevice.set(r.device_id, t);
        }
        for (const [id, t] of perDevice)
          await trx
            .updateTable('devices')
            .set((eb) => ({ history_count: eb('history_count', '-', t.count), history_bytes: eb('history_bytes', '-', t.bytes) }))
            .where('id', '=', id)
            .execute();
        return rows.length;
      };
      let total = 0;
      for (;;) {
        const n = db.isTransaction ? await pruneSlice(db) : await db.transaction().execute(pruneSlice);
        total += n;
        if (n < slice) return total;
      }
    },
  };
}

/** Rows for device_apps from a report's findings; apps that were already there keep their first-seen time. */
function appRows(deviceId: string, report: Report, firstSeen: (ruleId: string) => number): Insertable<DeviceAppsTable>[] {
  // Two findings with one rule id would only come from an agent bug; keep the first.
  const seen = new Set<string>();
  return report.findings
    .filter((f) => !seen.has(f.ruleId) && seen.add(f.ruleId))
    .map((f) => ({
      device_id: deviceId,
      rule_id: f.ruleId,
      app_id: f.appId,
      name: f.name,
      action: f.action,
      evidence: encodeEvidence(f.evidence),
      first_seen_at: firstSeen(f.ruleId),
    }));
}

export type ReportsRepo = ReturnType<typeof reportsRepo>;
