import { readdir, readFile } from 'node:fs/promises';
import { describeError } from '../errors.js';
import { holderAlive, type LockHolder } from '../state/lock.js';
import type { RuntimeState } from './state.js';
import { checkShownState } from './state-check.js';
import { statePath } from '../state/names.js';
import { readRecord, type UpdateRecord } from '../update/record.js';

/** Queued report files as the outbox names them (`<seq>-<kind>-<reportId>.json`). */
const OUTBOX_ENTRY = /^\d{12}-(change|heartbeat)-[0-9a-f-]{36}\.json$/;

export interface AgentStatus {
  stateDir: string;
  /** Whether an agent holds the instance lock right now (and its pid). */
  running: { yes: boolean; pid?: number; since?: string };
  state: RuntimeState | undefined;
  /** Why there is no state: never ran here, or the file cannot be read. */
  stateProblem?: string;
  /** Reports waiting for delivery: files in the outbox plus those committed but not yet queued. */
  outbox: { queued: number; pending: number; readable: boolean };
  /** The machine service's update client (update.json); undefined where it never ran. */
  update?: UpdateRecord;
}

/**
 * Reads the state file without touching it. A file that does not parse is reported, not moved (the running agent owns
 * it and moves it aside itself on its next start). Checked with state-check.ts, not with zod's full schema: see there.
 */
export async function readRuntimeState(
  stateDir: string,
): Promise<{ status: 'missing' } | { status: 'ok'; state: RuntimeState } | { status: 'unreadable'; reason: string }> {
  let text: string;
  try {
    text = await readFile(statePath(stateDir, 'runtimeState'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'unreadable', reason: describeError(err) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { status: 'unreadable', reason: describeError(err) };
  }
  const checked = checkShownState(json);
  return checked.ok
    ? { status: 'ok', state: checked.state }
    : { status: 'unreadable', reason: `not the agent's state layout: field ${checked.field} is missing or wrong` };
}

async function lockHolder(stateDir: string): Promise<LockHolder | undefined> {
  try {
    const v = JSON.parse(await readFile(statePath(stateDir, 'instanceLock'), 'utf8')) as Partial<LockHolder>;
    return typeof v.pid === 'number' && typeof v.hostname === 'string' ? (v as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads what `appwacht status` shows, without changing anything in the state folder (the agent may be running). */
export async function readAgentStatus(stateDir: string): Promise<AgentStatus> {
  const read = await readRuntimeState(stateDir);
  const holder = await lockHolder(stateDir);
  const alive = holder !== undefined && holderAlive(holder);
  let queued = 0;
  let readable = true;
  try {
    queued = (await readdir(statePath(stateDir, 'outbox'))).filter((n) => OUTBOX_ENTRY.test(n)).length;
  } catch (err) {
    readable = (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
  const state = read.status === 'ok' ? read.state : undefined;
  const update = await readRecord(stateDir);
  return {
    stateDir,
    running: alive ? { yes: true, pid: holder.pid, since: holder.startedAt } : { yes: false },
    state,
    ...(read.status === 'unreadable' ? { stateProblem: read.reason } : {}),
    ...(read.status === 'missing' ? { stateProblem: 'missing' } : {}),
    outbox: { queued, pending: state?.pending.length ?? 0, readable },
    ...(update ? { update } : {}),
  };
}

/** The JSON of `appwacht status --json`: stable field names for scripts and the tray app. */
export function statusJson(s: AgentStatus) {
  const st = s.state;
  return {
    stateDir: s.stateDir,
    running: s.running.yes,
    pid: s.running.pid ?? null,
    runningSince: s.running.since ?? null,
    stateProblem: s.stateProblem ?? null,
    mode: st?.mode ?? null,
    localMode: st ? st.mode === 'local' || st.policy?.origin === 'bundled' : null,
    server: st?.server ?? null,
    enrolled: st?.enrollment.enrolled ?? false,
    enrollment: st?.enrollment ?? null,
    compliance: st?.lastScan
      ? { ...st.lastScan.state, scannedAt: st.lastScan.at, trigger: st.lastScan.trigger, findings: st.lastScan.findings }
      : null,
    failedSources: st?.lastScan?.failedSources ?? [],
    policy: st?.policy ?? null,
    outbox: s.outbox,
    lastReport: st?.lastReport ?? null,
    lastDelivery: st?.lastDelivery ?? null,
    lastDeliveryError: st?.lastDeliveryError ?? null,
    lastError: st?.lastError ?? null,
    agent: st?.agent ?? null,
    updatedAt: st?.updatedAt ?? null,
    update: s.update
      ? {
          last: s.update.last,
          lastCheck: s.update.lastCheck,
          waiting: s.update.downloaded?.version ?? null,
          installing: s.update.installing,
        }
      : null,
  };
}
