/**
 * A synthetic city fleet for the device-list benchmark (and the fleet test): N devices with a realistic spread of
 * OS, status, last-seen times and banned apps, written straight into the database in multi-row INSERTs — seeding
 * 100,000 devices through POST /enroll and /reports would take minutes and measure enrollment, not the list.
 * The rows have the shape the ingest writes (findings_key included), and every device gets a real token whose hash
 * is stored, so the seeded devices can report over HTTP like enrolled ones.
 *
 * Deterministic for a given seed, so two runs list the same fleet.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import type { Database, DeviceAppsTable, DevicesTable, DeviceStatus } from '../server/db/schema.js';
import type { BenchDevice, Profile } from './server-payloads.js';
import { prng } from '../test/helpers/prng.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

interface AppDef {
  ruleId: string;
  appId: string;
  name: string;
  action: 'ban' | 'warn';
}
/** Banned apps by how often a violating laptop has them; Kik and LINE are rare on purpose (a selective filter). */
const BANNED: [AppDef, number][] = [
  [{ ruleId: 'ban-whatsapp', appId: 'whatsapp', name: 'WhatsApp', action: 'ban' }, 0.7],
  [{ ruleId: 'ban-snapchat', appId: 'snapchat', name: 'Snapchat', action: 'ban' }, 0.15],
  [{ ruleId: 'ban-facebook-messenger', appId: 'facebook-messenger', name: 'Messenger', action: 'ban' }, 0.1],
  [{ ruleId: 'ban-kik', appId: 'kik', name: 'Kik', action: 'ban' }, 0.03],
  [{ ruleId: 'ban-line', appId: 'line', name: 'LINE', action: 'ban' }, 0.02],
];
const TELEGRAM: AppDef = { ruleId: 'warn-telegram', appId: 'telegram', name: 'Telegram Desktop', action: 'warn' };

const DEPARTMENTS = ['AMT10', 'AMT20', 'AMT32', 'AMT50', 'BUERGER', 'KAEMMEREI', 'ORDNUNG', 'SCHULE', 'SOZIAL', 'BAU'];

export interface FleetSummary {
  devices: number;
  byStatus: Record<DeviceStatus, number>;
  byApp: Record<string, number>;
  byOs: Record<string, number>;
  /** Devices not seen for more than 3 days. */
  staleOver3Days: number;
  ms: number;
}

export interface Fleet {
  summary: FleetSummary;
  /** Tokens of the seeded devices that have reported before (status ≠ unknown), for a background report load. */
  reporters: BenchDevice[];
}

/** Same string the ingest stores (repositories/reports.ts findingsKey) for these findings. */
function keyOf(apps: AppDef[], evidence: string): string {
  return apps
    .map((a) => `${a.ruleId}|${a.appId}|${a.action}|${evidence}`)
    .sort()
    .join(';');
}

export interface FleetOptions {
  now?: number;
  seed?: number;
  /** Share of violating devices (default 0.07); tests raise it to get a common and a rare app in a small fleet. */
  violationShare?: number;
}

export async function seedFleet(db: Kysely<Database>, count: number, opts: FleetOptions = {}): Promise<Fleet> {
  const started = performance.now();
  const now = opts.now ?? Date.now();
  const rnd = prng(opts.seed ?? 42);
  const violationShare = opts.violationShare ?? 0.07;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const salt = randomBytes(8).toString('hex');
  const summary: FleetSummary = {
    devices: count,
    byStatus: { unknown: 0, compliant: 0, warning: 0, violation: 0 },
    byApp: {},
    byOs: {},
    staleOver3Days: 0,
    ms: 0,
  };
  const reporters: BenchDevice[] = [];
  // 18 columns × 500 rows stays under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters.
  const CHUNK = 500;
  let devices: Insertable<DevicesTable>[] = [];
  let apps: Insertable<DeviceAppsTable>[] = [];

  const flush = async (trx: Kysely<Database>) => {
    if (devices.length) await trx.insertInto('devices').values(devices).execute();
    for (let i = 0; i < apps.length; i += CHUNK)
      await trx
        .insertInto('device_apps')
        .values(apps.slice(i, i + CHUNK))
        .execute();
    devices = [];
    apps = [];
  };

  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < count; i++) {
      const r = rnd();
      const os = r < 0.8 ? 'windows' : r < 0.92 ? 'macos' : 'linux';
      const s = rnd();
      const status: DeviceStatus =
        s < 0.05 ? 'unknown' : s < 0.97 - violationShare ? 'compliant' : s < 0.97 ? 'violation' : 'warning';
      const enrolledAt = now - Math.floor(rnd() * 365 * DAY);
      // Most laptops reported within their heartbeat (4 h); some are off for days (holidays), a few for weeks.
      const age = rnd();
      let lastSeen =
        age < 0.9
          ? now - Math.floor(rnd() * 4 * HOUR)
          : age < 0.98
            ? now - Math.floor(rnd() * 3 * DAY)
            : now - Math.floor(rnd() * 60 * DAY);
      if (status === 'unknown' || lastSeen < enrolledAt) lastSeen = enrolledAt;
      const token = `awd_fleet${i}_${createHash('sha256').update(`${salt}/${i}`).digest('base64url')}`;

      let found: AppDef[] = [];
      if (status === 'violation') {
        let x = rnd();
        const first = BANNED.find(([, share]) => (x -= share) < 0)?.[0] ?? BANNED[0]![0];
        found = [first];
        if (rnd() < 0.15) found.push(TELEGRAM);
      } else if (status === 'warning') {
        found = [TELEGRAM];
      }
      const failingSince = found.length ? lastSeen - Math.floor(rnd() * 30 * DAY) : null;
      const evidence = rnd() < 0.4 ? 'installed,running' : 'installed';
      const dept = pick(DEPARTMENTS);

      devices.push({
        id: uuidFrom(rnd),
        machine_id: createHash('sha256').update(`fleet-machine/${salt}/${i}`).digest('hex'),
        token_hash: createHash('sha256').update(token, 'utf8').digest('hex'),
        hostname: `${dept}-${os === 'windows' ? 'NB' : os === 'macos' ? 'MAC' : 'LX'}-${String(i).padStart(6, '0')}`,
        os,
        os_version: os === 'windows' ? '10.0.22631' : os === 'macos' ? '14.6.1' : '24.04',
        os_user: os === 'windows' ? `CITY\\user${i}` : `user${i}`,
        agent_version: '0.1.0',
        enrolled_at: enrolledAt,
        last_seen_at: lastSeen,
        last_scanned_at: status === 'unknown' ? null : lastSeen - 2000,
        last_report_id: null,
        status,
        failing_since: failingSince !== null ? Math.max(enrolledAt, failingSince) : null,
        deadline: found.some((a) => a.action === 'ban') ? Date.parse('2026-03-01T00:00:00Z') : null,
        past_deadline: 0,
        policy_version: status === 'unknown' ? null : 1,
        findings_key: keyOf(found, evidence),
      });
      for (const a of found) {
        apps.push({
          device_id: devices[devices.length - 1]!.id,
          rule_id: a.ruleId,
          app_id: a.appId,
          name: a.name,
          action: a.action,
          evidence,
          first_seen_at: failingSince ?? lastSeen,
        });
        summary.byApp[a.appId] = (summary.byApp[a.appId] ?? 0) + 1;
      }
      summary.byStatus[status]++;
      summary.byOs[os] = (summary.byOs[os] ?? 0) + 1;
      if (lastSeen < now - 3 * DAY) summary.staleOver3Days++;
      if (status !== 'unknown') {
        const profile: Profile = status === 'violation' ? 'violation' : status === 'warning' ? 'warning' : 'compliant';
        reporters.push({ token, profile, os });
      }
      if (devices.length === CHUNK) await flush(trx);
    }
    await flush(trx);
  });
  summary.ms = performance.now() - started;
  return { summary, reporters };
}

/** A v4-shaped UUID from the seeded generator (the id column is validated as a UUID by the admin API). */
function uuidFrom(rnd: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
