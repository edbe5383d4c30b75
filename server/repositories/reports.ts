import type { Kysely } from 'kysely';
import type { Report } from '../../protocol/report.js';
import type { Database, DeviceRow, DeviceStatus, ReportRow } from '../db/schema.js';

export type IngestOutcome = { kind: 'stored'; folded: boolean } | { kind: 'duplicate' } | { kind: 'foreign' };

const isFailing = (s: DeviceStatus) => s === 'warning' || s === 'violation';

/** Identifies the current findings: equal keys mean device_apps need no rewrite (the common heartbeat). */
export function findingsKey(report: Report): string {
  return report.findings
    .map((f) => `${f.ruleId}|${f.appId}|${f.action}|${[...f.evidence].sort().join(',')}`)
    .sort()
    .join(';');
}

/** The device's next current state, or null when the report is older than what is folded already. Pure. */
export function foldState(
  device: Pick<DeviceRow, 'status' | 'failing_since' | 'last_scanned_at'>,
  report: Report,
  scannedAt: number,
): Pick<
  DeviceRow,
  'status' | 'failing_since' | 'deadline' | 'past_deadline' | 'policy_version' | 'agent_version' | 'last_scanned_at'
> | null {
  // An older report (a retry from a queue, a clock step) goes to history but never rolls the state back.
  if (device.last_scanned_at !== null && scannedAt < device.last_scanned_at) return null;
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
    /**
     * Stores one report and folds it into the device's current state. Call inside a transaction:
     * the history row, the device row and the device's app rows change together or not at all.
     */
    async ingest(deviceId: string, report: Report, body: string, now: number): Promise<IngestOutcome> {
      const scannedAt = Date.parse(report.scannedAt);
      const inserted = await db
        .insertInto('reports')
        .values({
          id: report.reportId,
          device_id: deviceId,
          received_at: now,
          scanned_at: scannedAt,
          kind: report.kind,
          status: report.state.status,
          policy_version: report.policyVersion,
          agent_version: report.agentVersion,
          body,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) {
        const owner = await db.selectFrom('reports').select('device_id').where('id', '=', report.reportId).executeTakeFirst();
        return owner?.device_id === deviceId ? { kind: 'duplicate' } : { kind: 'foreign' };
      }

      const device = await db
        .selectFrom('devices')
        .select(['status', 'failing_since', 'last_scanned_at', 'findings_key', 'last_seen_at'])
        .where('id', '=', deviceId)
        .executeTakeFirstOrThrow();
      const next = foldState(device as DeviceRow, report, scannedAt);
      const lastSeen = Math.max(device.last_seen_at, now);
      if (next === null) {
        await db.updateTable('devices').set({ last_seen_at: lastSeen }).where('id', '=', deviceId).execute();
        return { kind: 'stored', folded: false };
      }
      const key = findingsKey(report);
      await db
        .updateTable('devices')
        .set({ ...next, last_seen_at: lastSeen, last_report_id: report.reportId, findings_key: key })
        .where('id', '=', deviceId)
        .execute();
      if (key !== device.findings_key) await replaceApps(db, deviceId, report, scannedAt);
      return { kind: 'stored', folded: true };
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

    /** Deletes reports received before `cutoff`, in slices so a big prune never holds the write lock for long. */
    async pruneReceivedBefore(cutoff: number, slice = 5000): Promise<number> {
      let total = 0;
      for (;;) {
        const r = await db
          .deleteFrom('reports')
          .where('id', 'in', (sq) => sq.selectFrom('reports').select('id').where('received_at', '<', cutoff).limit(slice))
          .executeTakeFirst();
        const n = Number(r.numDeletedRows);
        total += n;
        if (n < slice) return total;
      }
    },
  };
}

/** Keeps `first_seen_at` of apps that stay, drops apps that are gone, adds new ones. */
async function replaceApps(db: Kysely<Database>, deviceId: string, report: Report, scannedAt: number): Promise<void> {
  const existing = await db
    .selectFrom('device_apps')
    .select(['rule_id', 'first_seen_at'])
    .where('device_id', '=', deviceId)
    .execute();
  const firstSeen = new Map(existing.map((r) => [r.rule_id, r.first_seen_at]));
  await db.deleteFrom('device_apps').where('device_id', '=', deviceId).execute();
  // A policy could list the same rule twice in findings only through an agent bug; keep the first.
  const seen = new Set<string>();
  const rows = report.findings
    .filter((f) => !seen.has(f.ruleId) && seen.add(f.ruleId))
    .map((f) => ({
      device_id: deviceId,
      rule_id: f.ruleId,
      app_id: f.appId,
      name: f.name,
      action: f.action,
      evidence: [...f.evidence].sort().join(','),
      first_seen_at: firstSeen.get(f.ruleId) ?? scannedAt,
    }));
  if (rows.length > 0) await db.insertInto('device_apps').values(rows).execute();
}
export type ReportsRepo = ReturnType<typeof reportsRepo>;
