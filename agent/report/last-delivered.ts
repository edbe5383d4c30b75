import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LadderView, Report, ReportAck } from '../../protocol/index.js';
import { writeFileAtomic } from '../state/files.js';
import { statePath } from '../state/names.js';

/**
 * What the employee's status window shows under "What is reported": the last report the server acknowledged, exactly as
 * it was sent, when, and where the server's answer put the device on the escalation ladder. The reporter writes both
 * files after each acknowledged delivery; the tray channel (resident in the supervisor) reads them. Node builtins and
 * our small state modules only, no zod (agent/runtime/README.md): the reader checks by hand, the tray re-validates.
 *
 * Two files, so that a payload too large or corrupt does not lose the ladder, nor the ladder the payload.
 */

/** Reports are at most ~100 findings of ≤ 50 installs; a payload beyond this is not kept (the window says so). */
export const MAX_KEPT_PAYLOAD_BYTES = 256 * 1024;
/** The file around the payload: the payload is kept as a JSON string, so escaping can at most double it. */
const MAX_FILE_BYTES = 2 * MAX_KEPT_PAYLOAD_BYTES + 1024;
const MAX_LADDER_FILE_BYTES = 8 * 1024;
const LADDER_STEPS = ['compliant', 'notice', 'overdue', 'blocked'];
/** The outbox's file names (outbox/outbox.ts), counted here without loading the outbox and its zod. */
const OUTBOX_ENTRY = /^\d{12}-(change|heartbeat)-[0-9a-f-]{36}\.json$/;

/** Stores what was delivered. The payload is `JSON.stringify(report)`: the same bytes the API client posts. */
export async function keepDelivered(stateDir: string, report: Report, ack: ReportAck, at: Date): Promise<void> {
  const payload = JSON.stringify(report);
  const bytes = Buffer.byteLength(payload);
  const kept =
    bytes <= MAX_KEPT_PAYLOAD_BYTES
      ? { format: 'appwacht-last-report', deliveredAt: at.toISOString(), payload }
      : { format: 'appwacht-last-report', deliveredAt: at.toISOString(), payload: null, bytes };
  await writeFileAtomic(statePath(stateDir, 'lastDelivered'), JSON.stringify(kept) + '\n', 0o600);
  // A replay's answer carries no ladder: the one kept from the answer before still holds.
  if (ack.ladder) {
    const ladder = { format: 'appwacht-ladder', receivedAt: at.toISOString(), view: ack.ladder };
    await writeFileAtomic(statePath(stateDir, 'ladder'), JSON.stringify(ladder) + '\n', 0o600);
  }
}

/** Why the last report cannot be shown: none delivered yet, too large to keep, or the file is damaged. */
export type NotKnownReason = 'none' | 'too-large' | 'unreadable';

export type DeliveredRead =
  | { known: true; report: Record<string, unknown>; deliveredAt: string }
  | { known: false; reason: NotKnownReason; deliveredAt?: string };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const iso = (v: unknown): string | undefined => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? v : undefined);

/** A JSON file of at most `max` bytes; 'missing', 'too-large' or 'unreadable' otherwise (never throws, never moves it). */
async function readSmallJson(path: string, max: number): Promise<unknown> {
  try {
    const st = await lstat(path);
    if (!st.isFile()) return 'unreadable';
    if (st.size > max) return 'too-large';
    return { json: JSON.parse(await readFile(path, 'utf8')) as unknown };
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}

export async function readDelivered(stateDir: string): Promise<DeliveredRead> {
  const read = await readSmallJson(statePath(stateDir, 'lastDelivered'), MAX_FILE_BYTES);
  if (read === 'missing') return { known: false, reason: 'none' };
  if (typeof read === 'string') return { known: false, reason: read === 'too-large' ? 'too-large' : 'unreadable' };
  const file = obj((read as { json: unknown }).json);
  const deliveredAt = iso(file?.deliveredAt);
  if (!file || file.format !== 'appwacht-last-report' || !deliveredAt) return { known: false, reason: 'unreadable' };
  if (file.payload === null) return { known: false, reason: 'too-large', deliveredAt };
  if (typeof file.payload !== 'string' || Buffer.byteLength(file.payload) > MAX_KEPT_PAYLOAD_BYTES)
    return { known: false, reason: 'unreadable', deliveredAt };
  let report: Obj | undefined;
  try {
    report = obj(JSON.parse(file.payload));
  } catch {
    report = undefined;
  }
  return report ? { known: true, report, deliveredAt } : { known: false, reason: 'unreadable', deliveredAt };
}

/** The ladder as the server last said it; null when never said or the file is damaged. Shape checked, tray re-validates. */
export async function readLadder(stateDir: string): Promise<{ view: LadderView; receivedAt: string } | null> {
  const read = await readSmallJson(statePath(stateDir, 'ladder'), MAX_LADDER_FILE_BYTES);
  if (typeof read === 'string') return null;
  const file = obj((read as { json: unknown }).json);
  const view = obj(file?.view);
  const receivedAt = iso(file?.receivedAt);
  if (file?.format !== 'appwacht-ladder' || !view || !receivedAt || !LADDER_STEPS.includes(view.step as string)) return null;
  return { view: view as unknown as LadderView, receivedAt };
}

/** Reports waiting in the outbox and when the oldest was queued (its file's time); zero when there is no outbox. */
export async function outboxQueue(stateDir: string): Promise<{ count: number; oldestAt: string | null }> {
  const dir = statePath(stateDir, 'outbox');
  const names = await readdir(dir).catch(() => [] as string[]);
  const entries = names.filter((n) => OUTBOX_ENTRY.test(n)).sort();
  if (entries.length === 0) return { count: 0, oldestAt: null };
  const oldest = await lstat(join(dir, entries[0]!)).catch(() => undefined);
  return { count: entries.length, oldestAt: oldest ? oldest.mtime.toISOString() : null };
}
