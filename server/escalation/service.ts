/**
 * The ladder's shell: reads device facts, evaluates the pure ladder (ladder.ts), writes the changed rows, and in the
 * same transaction queues the mails and webhooks and settles the employees' access decisions. Called by the report
 * ingest (for the devices a batch folded) and by the clock-driven sweep (for the rows due by `next_at`).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { LadderView } from '../../protocol/ladder.js';
import { Policy } from '../../protocol/policy.js';
import type { Database, MailKind } from '../db/schema.js';
import { unsyncedTransaction } from '../db/unsynced-commit.js';
import { mailIdentity } from '../employees/identity.js';
import { ladderRepo, toColumns, toRecord, type LadderDeviceRow } from '../repositories/ladder.js';
import { policiesRepo } from '../repositories/policies.js';
import type { EscalationConfig } from './config.js';
import {
  evaluateLadder,
  ladderSettings,
  ladderStateChanged,
  ladderView,
  type DeviceFacts,
  type LadderEffect,
  type LadderOutcome,
  type LadderSettings,
} from './ladder.js';

const HOUR = 3600_000;
/** Rows per sweep transaction: short write locks, few round trips. */
export const SWEEP_BATCH = 500;
/** Imported mappings are re-read this often (another instance may have imported). */
const OVERRIDES_TTL_MS = 60_000;

interface PolicyInfo {
  version: number;
  settings: LadderSettings;
  /** ban rules by id → deadline (ms) */
  bans: Map<string, number>;
  organization: Policy['organization'];
}

/** What a mail template needs; fixed when the step happened. */
export interface MailFacts {
  kind: MailKind;
  employee: string | null;
  hostname: string;
  os: 'windows' | 'macos' | 'linux';
  osUser: string;
  apps: string[];
  deadline: string | null;
  blockAt: string | null;
  blockedAt: string | null;
  organization: string;
  support: { email?: string; phone?: string; url?: string };
}

export interface DecisionChange {
  event: 'decision.changed';
  employee: string;
  decision: 'allow' | 'deny';
  since: string;
  at: string;
}

const MAIL_OF: Partial<Record<LadderEffect, MailKind>> = { warn: 'warn', remind: 'remind', block: 'block', cleared: 'cleared' };

export function createEscalation(deps: {
  db: Kysely<Database>;
  config: EscalationConfig;
  now: () => number;
  /** An employee's decision changed (inside the transaction): the decider forgets its cached answer. */
  onDecisionChange?: (employee: string) => void;
}) {
  const policyCache = new Map<number, PolicyInfo>();
  let overrides: { map: Map<string, string>; at: number } | null = null;

  async function policyInfo(trx: Kysely<Database>): Promise<PolicyInfo | null> {
    const repo = policiesRepo(trx);
    const v = await repo.latestVersion();
    if (v === null) return null;
    const hit = policyCache.get(v);
    if (hit) return hit;
    const row = await repo.get(v);
    if (!row) return null;
    const p = Policy.parse(JSON.parse(row.payload));
    const bans = new Map(p.rules.filter((r) => r.action === 'ban').map((r) => [r.id, Date.parse(r.deadline)]));
    const info: PolicyInfo = { version: v, settings: ladderSettings(p.escalation), bans, organization: p.organization };
    policyCache.set(v, info);
    return info;
  }

  async function identities(trx: Kysely<Database>, now: number): Promise<Map<string, string>> {
    if (overrides === null || now - overrides.at > OVERRIDES_TTL_MS || now < overrides.at)
      overrides = { map: await ladderRepo(trx).loadOverrides(), at: now };
    return overrides.map;
  }

  /** Evaluates the given devices inside `trx` and persists what changed. */
  async function evaluate(trx: Kysely<Database>, ids: string[], now: number): Promise<Map<string, LadderOutcome>> {
    if (ids.length === 0) return new Map();
    return evaluateRows(trx, await ladderRepo(trx).load(ids), now);
  }

  /** The same for rows already read (the sweep reads the due rows in one go). */
  async function evaluateRows(trx: Kysely<Database>, rows: LadderDeviceRow[], now: number): Promise<Map<string, LadderOutcome>> {
    const out = new Map<string, LadderOutcome>();
    if (rows.length === 0) return out;
    const info = await policyInfo(trx);
    if (info === null) return out;
    const repo = ladderRepo(trx);
    const ids = rows.map((r) => r.device_id);
    const rules = await repo.rules(ids);
    const map = await identities(trx, now);
    const employeeOf = new Map(rows.map((r) => [r.device_id, mailIdentity(r.os_user, deps.config.mailTemplate, map)]));
    const ex = await repo.exemptions(ids, [...new Set([...employeeOf.values()].filter((e): e is string => e !== null))], now);
    const settle = new Set<string>();
    const mails: Parameters<typeof repo.enqueueMails>[0] = [];
    const writes: Parameters<typeof repo.writeRows>[0] = [];
    // A heartbeat that only pushes the stale wake-up later need not rewrite the row while the stored time is far off.
    const slack = (info.settings.staleAfterHours * HOUR) / 2;

    for (const row of rows) {
      const employee = employeeOf.get(row.device_id) ?? null;
      const apps = rules.get(row.device_id) ?? [];
      const facts = deviceFacts(
        row,
        apps.map((a) => a.ruleId),
        info,
      );
      const exemptions = [...(ex.byDevice.get(row.device_id) ?? []), ...(employee ? (ex.byEmployee.get(employee) ?? []) : [])];
      const prev = toRecord(row);
      const o = evaluateLadder({ device: facts, prev, settings: info.settings, exemptions, now });
      out.set(row.device_id, o);

      const changed = ladderStateChanged(prev, o.record);
      const employeeChanged = row.employee !== employee;
      const nextOnlyLater =
        row.next_at !== null && o.record.nextAt !== null && row.next_at <= o.record.nextAt && row.next_at > now + slack;
      if (changed || employeeChanged || (row.next_at !== o.record.nextAt && !nextOnlyLater)) {
        writes.push({
          ...toColumns(o.record),
          device_id: row.device_id,
          employee,
          changed_at: changed ? now : row.changed_at,
          why: changed ? o.why : row.why,
        });
      }
      for (const effect of o.effects) {
        const kind = MAIL_OF[effect];
        if (kind)
          mails.push({ deviceId: row.device_id, employee, kind, facts: mailFacts(row, apps, o, kind, employee, info), now });
        if ((effect === 'block' || effect === 'unblock') && employee) settle.add(employee);
      }
      if (employeeChanged) {
        if (row.employee) settle.add(row.employee);
        if (employee && o.record.blockedAt !== null) settle.add(employee);
      }
    }
    // The rows first: settling reads the blocks back from device_ladder.
    await repo.writeRows(writes);
    await repo.enqueueMails(mails);
    await settleEmployees(trx, settle, now);
    return out;
  }

  /** Recomputes the employees' decisions and queues a webhook for each change. */
  async function settleEmployees(trx: Kysely<Database>, emails: Iterable<string>, now: number): Promise<void> {
    const repo = ladderRepo(trx);
    // Sorted: two transactions settling the same employees lock their rows in one order (no deadlock).
    for (const email of [...new Set(emails)].sort()) {
      const change = await repo.settleEmployee(email, now);
      if (change) deps.onDecisionChange?.(email);
      if (change && deps.config.webhook) {
        const body: DecisionChange = {
          event: 'decision.changed',
          employee: email,
          decision: change.blocked ? 'deny' : 'allow',
          since: new Date(change.since).toISOString(),
          at: new Date(now).toISOString(),
        };
        await repo.enqueueWebhook(email, body, now);
      }
    }
  }

  return {
    evaluate,

    /** Inside the ingest's transaction, for the devices whose state a batch folded: returns what the agents are told. */
    async afterIngest(trx: Kysely<Database>, deviceIds: string[], now: number): Promise<Map<string, LadderView>> {
      const outcomes = await evaluate(trx, [...new Set(deviceIds)].sort(), now);
      return new Map([...outcomes].map(([id, o]) => [id, ladderView(o)]));
    },

    /**
     * Evaluates every due row, a batch per transaction, until none is due. A new policy version first makes every row
     * due (its deadlines or settings may move any device). Safe to run in several processes on one PostgreSQL.
     */
    async sweepOnce(now = deps.now()): Promise<{ evaluated: number; effects: number }> {
      await deps.db.transaction().execute(async (trx) => {
        const info = await policyInfo(trx);
        const repo = ladderRepo(trx);
        if (info !== null && (await repo.meta('policy_version')) !== String(info.version)) {
          await repo.makeAllDue(now);
          await repo.setMeta('policy_version', String(info.version));
        }
      });
      let evaluated = 0;
      let effects = 0;
      for (;;) {
        // Not fsynced on SQLite/WAL (db/unsynced-commit.ts): one fsync per batch cost a 5,000-device sweep 300–450 ms.
        const n = await unsyncedTransaction(deps.db, async (trx) => {
          const rows = await ladderRepo(trx).loadDue(now, SWEEP_BATCH);
          const outcomes = await evaluateRows(trx, rows, now);
          for (const o of outcomes.values()) effects += o.effects.length;
          return { due: rows.length, done: outcomes.size };
        });
        evaluated += n.done;
        // No policy yet (nothing evaluated) or the last page: stop; never spin on rows that stay due.
        if (n.due < SWEEP_BATCH || n.done === 0) break;
      }
      return { evaluated, effects };
    },

    /**
     * Evaluates the given devices now (an admin granted or revoked an exemption, retired a device, imported a
     * mapping): the decision follows at once instead of at the next sweep.
     */
    async refresh(deviceIds: string[], now = deps.now()): Promise<void> {
      const ids = [...new Set(deviceIds)].sort();
      for (let i = 0; i < ids.length; i += SWEEP_BATCH)
        await deps.db.transaction().execute((trx) => evaluate(trx, ids.slice(i, i + SWEEP_BATCH), now));
    },

    /** After devices were deleted (their ladder rows with them): their employees' decisions are recomputed. */
    async resettle(emails: string[], now = deps.now()): Promise<void> {
      if (emails.length > 0) await deps.db.transaction().execute((trx) => settleEmployees(trx, emails, now));
    },

    /** Forget cached mappings (after an import). */
    forgetIdentities(): void {
      overrides = null;
    },
  };
}
export type Escalation = ReturnType<typeof createEscalation>;

function deviceFacts(row: LadderDeviceRow, ruleIds: string[], info: PolicyInfo): DeviceFacts {
  // The current policy decides what is banned and by when: a deadline moved, a rule turned from warn to ban or
  // removed takes effect without waiting for the agents' next report.
  let deadline: number | null = null;
  for (const id of ruleIds) {
    const d = info.bans.get(id);
    if (d !== undefined && (deadline === null || d < deadline)) deadline = d;
  }
  const failing = row.status === 'warning' || row.status === 'violation';
  const status: DeviceFacts['status'] = failing ? (deadline !== null ? 'violation' : 'warning') : row.status;
  return {
    status,
    lastSeenAt: row.last_seen_at,
    lastScannedAt: row.last_scanned_at,
    violationDeadline: deadline,
    // A retired device (lost, replaced) no longer counts for its employee.
    retiredAt: row.retired_at,
  };
}

function mailFacts(
  row: LadderDeviceRow,
  found: { ruleId: string; name: string }[],
  o: LadderOutcome,
  kind: MailKind,
  employee: string | null,
  info: PolicyInfo,
): MailFacts {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const apps = found.filter((a) => info.bans.has(a.ruleId)).map((a) => a.name);
  return {
    kind,
    employee,
    hostname: row.hostname,
    os: row.os,
    osUser: row.os_user,
    apps,
    deadline: iso(o.record.deadline),
    blockAt: iso(o.blockAt),
    blockedAt: iso(o.record.blockedAt),
    organization: info.organization.name,
    support: info.organization.support,
  };
}

/** Runs the sweep on a timer (main does; tests call sweepOnce with their own clock). */
export function startSweeper(esc: Escalation, seconds: number, log: FastifyBaseLogger): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = esc
      .sweepOnce()
      .then((r) => {
        if (r.effects > 0) log.info(r, 'escalation sweep');
      })
      .catch((err: unknown) => log.error({ err }, 'escalation sweep failed'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, seconds * 1000);
  timer.unref();
  const first = setTimeout(tick, 1000);
  first.unref();
  return {
    async stop() {
      clearInterval(timer);
      clearTimeout(first);
      await running;
    },
  };
}
