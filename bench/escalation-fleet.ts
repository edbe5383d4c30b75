/**
 * Writes a fleet straight into the database for the escalation sweep: devices, their banned app and their ladder
 * rows, as enrollment and reports would have left them. Shared by bench:escalation and the kill/two-instance tests.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../server/db/schema.js';

const DAY = 86_400_000;
const CHUNK = 100;

export interface FleetOptions {
  /** Devices to write (ids are deterministic: `…-<index>`). */
  count: number;
  /** The share of devices that carry a banned app (the rest are clean). */
  violating: (i: number) => boolean;
  /** last_seen / last_scanned of every device. */
  seenAt: number;
  /** next_at of every ladder row: 0 makes all due now, null leaves them asleep. */
  nextAt: (i: number) => number | null;
  /** The OS user of device i (default `KOMMUNE\\u<i>`, which the template maps). */
  osUser?: (i: number) => string;
  /** The ladder's state as an earlier sweep left it (default: compliant, never evaluated). */
  ladder?: (i: number) => { step: 'compliant' | 'notice' | 'overdue'; deadline: number | null; employee: string | null };
}

export const deviceId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

export async function seedFleet(db: Kysely<Database>, o: FleetOptions): Promise<void> {
  for (let start = 0; start < o.count; start += CHUNK) {
    const idx = Array.from({ length: Math.min(CHUNK, o.count - start) }, (_, k) => start + k);
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('devices')
        .values(
          idx.map((i) => ({
            id: deviceId(i),
            machine_id: deviceId(i),
            token_hash: `seed:${i}`,
            hostname: `PC-${String(i).padStart(6, '0')}`,
            os: 'windows' as const,
            os_version: '10.0.22631',
            os_user: o.osUser?.(i) ?? `KOMMUNE\\u${i}`,
            agent_version: '0.1.0',
            enrolled_at: o.seenAt - 60 * DAY,
            last_seen_at: o.seenAt,
            last_scanned_at: o.seenAt,
            last_report_id: null,
            status: o.violating(i) ? ('violation' as const) : ('compliant' as const),
            failing_since: o.violating(i) ? o.seenAt - 30 * DAY : null,
            deadline: null,
            policy_version: 1,
          })),
        )
        .execute();
      await trx
        .insertInto('device_ladder')
        .values(
          idx.map((i) => {
            const l = o.ladder?.(i);
            return {
              device_id: deviceId(i),
              next_at: o.nextAt(i),
              changed_at: 0,
              ...(l ? { step: l.step, deadline: l.deadline, employee: l.employee, failing_since: l.deadline } : {}),
            };
          }),
        )
        .execute();
      const bad = idx.filter(o.violating);
      if (bad.length > 0)
        await trx
          .insertInto('device_apps')
          .values(
            bad.map((i) => ({
              device_id: deviceId(i),
              rule_id: 'ban-whatsapp',
              app_id: 'whatsapp',
              name: 'WhatsApp',
              action: 'ban' as const,
              evidence: 'installed',
              first_seen_at: o.seenAt - 30 * DAY,
            })),
          )
          .execute();
    });
  }
}
