import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../state/files.js';
import { statePath } from '../state/names.js';

/**
 * What one turn of the background agent hands to the next (turn.ts): when each kind of work is due, where the backoffs
 * stand, which process names the watch looks for, and which problems were already said. Everything else a turn needs is
 * in the state folder (agent-state.json, the outbox, the policy cache, the device token).
 *
 * The resident supervisor reads it to know when to wake and what to watch, so this module is plain JSON checked by hand:
 * no zod (supervisor.ts explains why memory matters). Written atomically after every turn as `schedule.json`, and also
 * handed back to the supervisor over IPC, which keeps it in memory: a full disk does not lose it. The file only matters
 * after a restart; a stale or missing one costs at most one early scan or refresh, never a report.
 */
export interface Schedule {
  format: 'appwacht-agent-schedule';
  version: 1;
  /** When the turn that wrote this ended (ISO). */
  at: string;
  /** The state file's save count as that turn left it: a later turn that finds another count knows a turn was cut short. */
  stateSeq: number;
  /** Epoch milliseconds. */
  nextScanAt: number;
  /** null without a server. */
  nextRefreshAt: number | null;
  /** null without a server. */
  nextHeartbeatAt: number | null;
  /**
   * The machine service's update client (agent/update/): when it wants to run next; null or absent (a file written
   * before it): not until a policy with an `updates` block arrives or a new run starts.
   */
  nextUpdateAt?: number | null;
  delivery: {
    /** Reports in the outbox, and committed reports not yet in it (state `pending`). */
    queued: number;
    pending: number;
    /** When the outbox should be delivered (now or after a backoff); null: nothing to deliver, or not enrolled. */
    nextAt: number | null;
    /** Failed attempts since the last delivery: the next backoff grows from it. */
    attempt: number;
  };
  /** Automatic enrollment attempts since the token last worked, and when the next may start (epoch ms). */
  enrollment: { attempts: number; retryAt: number | null };
  /** The executable names the rules of the policy in force name: the process watch needs nothing else. */
  watch: { processes: string[] };
  /** Problems said once and not again on every turn while they last (full disk, an unusable CA file, unknown apps). */
  said: { stateFile?: string; queue?: string; transport?: string; unknownApps: string[] };
}

/** The schedule a run starts from: everything due now. */
export function emptySchedule(now: Date = new Date()): Schedule {
  return {
    format: 'appwacht-agent-schedule',
    version: 1,
    at: now.toISOString(),
    stateSeq: 0,
    nextScanAt: now.getTime(),
    nextRefreshAt: null,
    nextHeartbeatAt: null,
    delivery: { queued: 0, pending: 0, nextAt: null, attempt: 0 },
    enrollment: { attempts: 0, retryAt: null },
    watch: { processes: [] },
    said: { unknownApps: [] },
  };
}

/** When the next turn is due: the earliest of scan, refresh, heartbeat, delivery and update. */
export function nextWake(s: Schedule): number {
  let at = s.nextScanAt;
  for (const t of [s.nextRefreshAt, s.nextHeartbeatAt, s.delivery.nextAt, s.nextUpdateAt ?? null])
    if (t !== null && t < at) at = t;
  return at;
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isOptTime = (v: unknown) => v === null || isTime(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isOptString = (v: unknown) => v === undefined || typeof v === 'string';

/** Checks a value read from disk or received over IPC; the reason names the first field that is wrong. */
export function checkSchedule(v: unknown): { ok: true; schedule: Schedule } | { ok: false; reason: string } {
  const s = v as Partial<Schedule> | null;
  const bad = (field: string) => ({ ok: false as const, reason: `schedule: ${field} is missing or invalid` });
  if (typeof s !== 'object' || s === null) return bad('the document');
  if (s.format !== 'appwacht-agent-schedule' || s.version !== 1) return bad('format/version');
  if (typeof s.at !== 'string' || Number.isNaN(Date.parse(s.at))) return bad('at');
  if (!isCount(s.stateSeq)) return bad('stateSeq');
  if (!isTime(s.nextScanAt)) return bad('nextScanAt');
  if (!isOptTime(s.nextRefreshAt)) return bad('nextRefreshAt');
  if (!isOptTime(s.nextHeartbeatAt)) return bad('nextHeartbeatAt');
  if (s.nextUpdateAt !== undefined && !isOptTime(s.nextUpdateAt)) return bad('nextUpdateAt');
  const d = s.delivery;
  if (
    typeof d !== 'object' ||
    d === null ||
    !isCount(d.queued) ||
    !isCount(d.pending) ||
    !isOptTime(d.nextAt) ||
    !isCount(d.attempt)
  )
    return bad('delivery');
  const e = s.enrollment;
  if (typeof e !== 'object' || e === null || !isCount(e.attempts) || !isOptTime(e.retryAt)) return bad('enrollment');
  if (typeof s.watch !== 'object' || s.watch === null || !isStrings(s.watch.processes)) return bad('watch');
  const said = s.said;
  if (
    typeof said !== 'object' ||
    said === null ||
    !isStrings(said.unknownApps) ||
    !isOptString(said.stateFile) ||
    !isOptString(said.queue) ||
    !isOptString(said.transport)
  )
    return bad('said');
  return { ok: true, schedule: s as Schedule };
}

export type ScheduleRead = { status: 'missing' } | { status: 'ok'; schedule: Schedule } | { status: 'invalid'; reason: string };

/** Reads `schedule.json`. An invalid one is not moved aside: the next turn overwrites it, and nothing depends on it. */
export async function readSchedule(stateDir: string): Promise<ScheduleRead> {
  let text: string;
  try {
    text = await readFile(statePath(stateDir, 'schedule'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'invalid', reason: (err as Error).message.split('\n')[0]! };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { status: 'invalid', reason: `not JSON: ${(err as Error).message.split('\n')[0]!}` };
  }
  const checked = checkSchedule(value);
  return checked.ok ? { status: 'ok', schedule: checked.schedule } : { status: 'invalid', reason: checked.reason };
}

/** Atomic write; throws StateFileError (DISK_FULL, WRITE_FAILED) like every state file. */
export function writeSchedule(stateDir: string, schedule: Schedule): Promise<void> {
  return writeFileAtomic(statePath(stateDir, 'schedule'), JSON.stringify(schedule) + '\n', 0o600);
}
