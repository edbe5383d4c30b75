import type { Report } from '../../protocol/index.js';

/** What compaction needs to know about a queued report; all of it is in the file name and size. */
export interface QueuedMeta {
  seq: number;
  kind: Report['kind'];
  bytes: number;
}

export interface OutboxLimits {
  /** Hard cap on queued reports. */
  maxEntries: number;
  /** Hard cap on the bytes of queued reports. */
  maxBytes: number;
}

/**
 * Defaults: a report is 1–3 kB, so 1,000 entries / 4 MiB hold weeks of real state changes while the server is
 * away, and stay small in the user's profile folder.
 */
export const DEFAULT_LIMITS: OutboxLimits = { maxEntries: 1000, maxBytes: 4 * 1024 * 1024 };

export interface CompactionPlan<T extends QueuedMeta> {
  keep: T[];
  /** Heartbeats that a later report supersedes. */
  superseded: T[];
  /** State changes dropped to stay under the caps (logged by the caller). */
  overCap: T[];
}

/**
 * Pure: which queued reports to keep. `entries` must be sorted oldest first.
 *
 * 1. A heartbeat only says "still here, still in this state"; any later report says the same and more,
 *    so every heartbeat except the newest entry is dropped.
 * 2. If the rest is still over a cap (a device whose state flaps for weeks without a server), state changes are
 *    dropped oldest-first — but never the oldest one and never the newest one: the oldest undelivered change
 *    continues the history the server already has (it says when the device left the state the server knows),
 *    the newest is the current state. What goes is the middle of a long flapping history.
 *    The newest entry is kept even when it alone is over the byte cap.
 */
export function planCompaction<T extends QueuedMeta>(entries: readonly T[], limits: OutboxLimits): CompactionPlan<T> {
  const last = entries[entries.length - 1];
  const superseded: T[] = [];
  const rest: T[] = [];
  for (const e of entries) (e.kind === 'heartbeat' && e !== last ? superseded : rest).push(e);

  let bytes = rest.reduce((sum, e) => sum + e.bytes, 0);
  let count = rest.length;
  const overCap: T[] = [];
  // rest[0] is the oldest, rest[count-1] the newest: drop from index 1 upwards.
  let i = 1;
  while ((count > limits.maxEntries || bytes > limits.maxBytes) && i < rest.length - 1) {
    const e = rest[i++]!;
    overCap.push(e);
    count--;
    bytes -= e.bytes;
  }
  // The oldest goes too only when the caps cannot be met otherwise (maxEntries < 2 or a huge oldest report).
  if ((count > limits.maxEntries || bytes > limits.maxBytes) && rest.length > 1) {
    overCap.push(rest[0]!);
  }
  const dropped = new Set<T>([...superseded, ...overCap]);
  return { keep: entries.filter((e) => !dropped.has(e)), superseded, overCap };
}
